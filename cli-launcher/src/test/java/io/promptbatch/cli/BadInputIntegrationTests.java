package io.promptbatch.cli;

import static io.promptbatch.cli.CliFixtures.execute;
import static org.assertj.core.api.Assertions.assertThat;

import io.promptbatch.cli.CliFixtures.Result;
import io.promptbatch.simulator.ChatSimulator;
import io.promptbatch.simulator.SimulatorConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Each kind of bad input: exit 2, a message naming file, line and fix, and not one request sent. */
class BadInputIntegrationTests {

	@TempDir
	Path dir;

	ChatSimulator sim;

	@BeforeEach
	void start() throws Exception {
		sim = ChatSimulator.start(SimulatorConfig.builder().build());
	}

	@AfterEach
	void stop() {
		sim.close();
	}

	static Stream<Arguments> badInputs() {
		return Stream.of(
				Arguments.of("missing.csv", null, "missing.csv: input file not found; check the path given to --input"),
				Arguments.of("no-prompt.csv", "id,question\n1,What?\n".getBytes(),
						"no-prompt.csv:1: no 'prompt' column (columns are ['id', 'question']); add one, or render prompts with --template"),
				Arguments.of("near-miss.csv", "id, Prompts\n1,What?\n".getBytes(),
						"near-miss.csv:1: no 'prompt' column; did you mean ' Prompts'? (columns are ['id', ' Prompts'])"),
				Arguments.of("book.csv", workbook(),
						"book.csv: is an Excel workbook (a zip file, as .xlsx files are), not CSV text; in Excel use "
								+ "File > Save As and choose \"CSV UTF-8 (Comma delimited) (.csv)\", then pass that file"),
				Arguments.of("old.csv", oldWorkbook(), "old.csv: is an old Excel workbook (.xls, an OLE2 file), not CSV text"),
				Arguments.of("no-bom.csv", "id,prompt\n1,ok\n".getBytes(StandardCharsets.UTF_16LE),
						"no-bom.csv: has NUL bytes, so it is not UTF-8 text: it may be UTF-16 without a byte-order mark"),
				Arguments.of("export.jsonl", "[\n  {\"id\": \"1\", \"prompt\": \"hi\"},\n  {\"id\": \"2\", \"prompt\": \"yo\"}\n]\n"
					.getBytes(),
						"export.jsonl:1: this is a JSON array, not JSON Lines (one object per line); convert it with: "
								+ "jq -c '.[]' export.jsonl > export.lines.jsonl"),
				Arguments.of("quote.csv", "id,prompt\n1,ok\n2,\"open\n3,x\n".getBytes(),
						"quote.csv:3: a quoted field starting at or after this line is never closed"),
				Arguments.of("broken.jsonl", "{\"prompt\":\"ok\"}\n{\"prompt\": nope}\n".getBytes(),
						"broken.jsonl:2: not valid JSON"),
				Arguments.of("no-field.jsonl", "{\"prompt\":\"ok\"}\n{\"text\":\"x\"}\n".getBytes(),
						"no-field.jsonl:2: no \"prompt\" or \"messages\" field"),
				Arguments.of("excel.csv", "id,prompt\n1,用一句话解释机器学习\n".getBytes(Charset.forName("GBK")),
						"excel.csv:2: the file is not UTF-8"),
				Arguments.of("empty.csv", "id,prompt\n1,ok\n2,\n".getBytes(),
						"empty.csv:3: the prompt is empty; fill it in or remove the record"),
				Arguments.of("dupes.csv", "id,prompt\na,one\nb,two\na,three\n".getBytes(),
						"dupes.csv:4: duplicate id 'a' (first used at line 2); ids must be unique"));
	}

	/** An .xlsx file as Excel writes it: a zip file of XML parts. */
	static byte[] workbook() {
		ByteArrayOutputStream bytes = new ByteArrayOutputStream();
		try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
			zip.putNextEntry(new ZipEntry("[Content_Types].xml"));
			zip.write("<Types/>".getBytes(StandardCharsets.UTF_8));
			zip.putNextEntry(new ZipEntry("xl/worksheets/sheet1.xml"));
			zip.write("<worksheet/>".getBytes(StandardCharsets.UTF_8));
		}
		catch (IOException e) {
			throw new UncheckedIOException(e);
		}
		return bytes.toByteArray();
	}

	/** The start of an .xls file: the OLE2 compound-file signature. */
	static byte[] oldWorkbook() {
		byte[] bytes = new byte[2048];
		int[] magic = { 0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1 };
		for (int i = 0; i < magic.length; i++) {
			bytes[i] = (byte) magic[i];
		}
		return bytes;
	}

	@ParameterizedTest(name = "{0}")
	@MethodSource("badInputs")
	void refusesBadInputBeforeAnyRequest(String name, byte[] content, String message) throws Exception {
		Path input = dir.resolve(name);
		if (content != null) {
			Files.write(input, content);
		}

		Result result = execute(Map.of(), "run", "--base-url", sim.baseUrl(), "--model", "kimi-k2.5", "--input",
				input.toString(), "--output", dir.resolve("out.jsonl").toString(), "--state-dir",
				dir.resolve("state").toString());

		assertThat(result.exitCode()).as(result.err()).isEqualTo(2);
		assertThat(result.err()).contains(dir.resolve(message.substring(0, message.indexOf(':'))).toString()
				+ message.substring(message.indexOf(':')));
		assertThat(sim.counters().requests()).isZero();
		assertThat(dir.resolve("out.jsonl")).doesNotExist();
	}

	@ParameterizedTest(name = "{0}")
	@MethodSource("badOutputs")
	void refusesAnOutputThatCannotBeWrittenBeforeAnyRequest(String output, String message) throws Exception {
		Path input = dir.resolve("ok.csv");
		Files.writeString(input, "id,prompt\n1,hello\n");
		Files.createDirectories(dir.resolve("a-directory.jsonl"));

		Result result = execute(Map.of(), "run", "--base-url", sim.baseUrl(), "--model", "kimi-k2.5", "--input",
				input.toString(), "--output", dir.resolve(output).toString(), "--state-dir",
				dir.resolve("state").toString());

		assertThat(result.exitCode()).as(result.err()).isEqualTo(2);
		assertThat(result.err()).contains(message);
		assertThat(sim.counters().requests()).isZero();
	}

	static Stream<Arguments> badOutputs() {
		return Stream.of(Arguments.of("no-such-dir/out.jsonl", "the output's directory does not exist; create it first"),
				Arguments.of("a-directory.jsonl", "is a directory; --output takes a file name"),
				Arguments.of("out.txt", "unknown output format; name the file .jsonl or .csv"));
	}
}
