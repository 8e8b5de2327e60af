package io.promptbatch.cli;

import static io.promptbatch.cli.CliFixtures.execute;
import static org.assertj.core.api.Assertions.assertThat;

import io.promptbatch.cli.CliFixtures.Result;
import io.promptbatch.simulator.ChatSimulator;
import io.promptbatch.simulator.SimulatorConfig;
import java.nio.charset.Charset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
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
						"no-prompt.csv:1: no 'prompt' column (columns are [id, question]); add one, or render prompts with --template"),
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
