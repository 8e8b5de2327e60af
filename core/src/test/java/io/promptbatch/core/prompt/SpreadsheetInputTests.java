package io.promptbatch.core.prompt;

import io.promptbatch.core.chat.Message;
import static io.promptbatch.core.prompt.PromptReaderTests.readAll;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Files as spreadsheets and other tools save them: read when what they are is unambiguous (and the assumption
 * reported), refused naming what the file is and what to do otherwise.
 */
class SpreadsheetInputTests {

	@TempDir
	Path dir;

	private Path write(String name, byte[] content) throws IOException {
		Path file = dir.resolve(name);
		Files.write(file, content);
		return file;
	}

	private Path write(String name, String content) throws IOException {
		return write(name, content.getBytes(StandardCharsets.UTF_8));
	}

	/** Excel's "Unicode text": UTF-16LE with a byte-order mark, tab-separated. */
	@Test
	void readsUtf16LittleEndianWithByteOrderMarkAndTabsAndSaysSo() throws IOException {
		Path file = write("unicode.csv",
				("\uFEFFid\tprompt\tlang\r\nq1\t用一句话解释机器学习\tzh\r\nq2\tHello, \"world\"\ten\r\n")
					.getBytes(StandardCharsets.UTF_16LE));

		List<Prompt> prompts = readAll(file, PromptOptions.DEFAULTS);
		InputScan scan = InputScan.of(file, PromptOptions.DEFAULTS);

		assertThat(prompts).extracting(Prompt::id).containsExactly("q1", "q2");
		assertThat(prompts).extracting(Prompt::lastUserContent).containsExactly("用一句话解释机器学习", "Hello, \"world\"");
		assertThat(prompts.get(0).columns()).containsExactly(Map.entry("lang", "zh"));
		assertThat(scan.records()).isEqualTo(2);
		assertThat(scan.assumed()).containsExactly("UTF-16LE (byte-order mark)", "tab-separated");
	}

	@Test
	void readsUtf16BigEndianWithByteOrderMark() throws IOException {
		Path file = write("be.jsonl", "\uFEFF{\"id\":\"a\",\"prompt\":\"日本語で答えて\"}\n{\"id\":\"b\",\"prompt\":\"ok\"}\n"
			.getBytes(StandardCharsets.UTF_16BE));

		InputScan scan = InputScan.of(file, PromptOptions.DEFAULTS);

		assertThat(readAll(file, PromptOptions.DEFAULTS)).extracting(Prompt::lastUserContent)
			.containsExactly("日本語で答えて", "ok");
		assertThat(scan.assumed()).containsExactly("UTF-16BE (byte-order mark)");
	}

	@Test
	void aPlainUtf8CommaFileAssumesNothing() throws IOException {
		Path file = write("plain.csv", "\uFEFFid,prompt\n1,hello; world\n");

		assertThat(InputScan.of(file, PromptOptions.DEFAULTS).assumed()).isEmpty();
	}

	@Test
	void refusesUtf16WithoutAByteOrderMark() throws IOException {
		Path file = write("nobom.csv", "id,prompt\n1,hello\n".getBytes(StandardCharsets.UTF_16LE));

		assertThatThrownBy(() -> readAll(file, PromptOptions.DEFAULTS)).isInstanceOf(InputException.class)
			.hasMessageStartingWith(file + ": has NUL bytes")
			.hasMessageContaining("UTF-16 without a byte-order mark")
			.hasMessageContaining("CSV UTF-8");
	}

	@ParameterizedTest
	@ValueSource(strings = { "book.csv", "book.jsonl", "book.tsv" })
	void refusesAnExcelWorkbookRenamedToCsvSayingHowToSaveIt(String name) throws IOException {
		Path file = dir.resolve(name);
		try (OutputStream out = Files.newOutputStream(file); ZipOutputStream zip = new ZipOutputStream(out)) {
			zip.putNextEntry(new ZipEntry("[Content_Types].xml"));
			zip.write("<Types/>".getBytes(StandardCharsets.UTF_8));
			zip.putNextEntry(new ZipEntry("xl/workbook.xml"));
			zip.write("<workbook/>".getBytes(StandardCharsets.UTF_8));
		}

		assertThatThrownBy(() -> readAll(file, PromptOptions.DEFAULTS)).isInstanceOf(InputException.class)
			.hasMessageStartingWith(file + ": is an Excel workbook (a zip file, as .xlsx files are), not ")
			.hasMessageContaining("File > Save As")
			.hasMessageContaining("CSV UTF-8");
	}

	@Test
	void refusesAnOldExcelWorkbook() throws IOException {
		byte[] ole2 = new byte[1024];
		byte[] magic = { (byte) 0xD0, (byte) 0xCF, 0x11, (byte) 0xE0, (byte) 0xA1, (byte) 0xB1, 0x1A, (byte) 0xE1 };
		System.arraycopy(magic, 0, ole2, 0, magic.length);
		Path file = write("old.csv", ole2);

		assertThatThrownBy(() -> readAll(file, PromptOptions.DEFAULTS)).isInstanceOf(InputException.class)
			.hasMessageStartingWith(file + ": is an old Excel workbook (.xls, an OLE2 file), not CSV text")
			.hasMessageContaining("CSV UTF-8");
	}

	/** Excel in most European locales: ';' between fields, commas inside them. */
	@Test
	void readsSemicolonSeparatedCsvAndSaysSo() throws IOException {
		Path file = write("europe.csv", "id;prompt;note\n1;Hello, world;a,b\n2;\"Quoted; with a semicolon\";c\n");

		List<Prompt> prompts = readAll(file, PromptOptions.DEFAULTS);

		assertThat(prompts).extracting(Prompt::id).containsExactly("1", "2");
		assertThat(prompts).extracting(Prompt::lastUserContent)
			.containsExactly("Hello, world", "Quoted; with a semicolon");
		assertThat(prompts.get(0).columns()).containsExactly(Map.entry("note", "a,b"));
		assertThat(InputScan.of(file, PromptOptions.DEFAULTS).assumed()).containsExactly("';'-separated");
	}

	@Test
	void readsASemicolonHeaderThatNamesTheTemplateVariables() throws IOException {
		Path file = write("europe-template.csv", "question;lang\nWhat is 2,5 + 1?;en\n");

		List<Prompt> prompts = readAll(file, new PromptOptions(null, "{{question}} ({{lang}})"));

		assertThat(prompts.get(0).lastUserContent()).isEqualTo("What is 2,5 + 1? (en)");
	}

	@Test
	void readsATsvFileAsTabSeparatedWithoutAnAssumption() throws IOException {
		Path file = write("prompts.tsv", "id\tprompt\ttopic\nt1\tSay \"hi\", then stop\tgreeting\n");

		List<Prompt> prompts = readAll(file, PromptOptions.DEFAULTS);

		assertThat(prompts.get(0).id()).isEqualTo("t1");
		assertThat(prompts.get(0).lastUserContent()).isEqualTo("Say \"hi\", then stop");
		assertThat(prompts.get(0).columns()).containsExactly(Map.entry("topic", "greeting"));
		assertThat(InputScan.of(file, PromptOptions.DEFAULTS).assumed()).isEmpty();
	}

	@Test
	void aStrayFieldInASemicolonFileNamesTheSemicolon() throws IOException {
		Path file = write("stray.csv", "id;prompt\n1;ok\n2;one;two\n");

		assertThatThrownBy(() -> readAll(file, PromptOptions.DEFAULTS)).isInstanceOf(InputException.class)
			.hasMessageStartingWith(file + ":3: record 2 has 3 fields but the header has 2; check for a stray ';'");
	}

	@Test
	void matchesKnownColumnsIgnoringCaseAndSpacesAndKeepsCarriedNames() throws IOException {
		Path file = write("excel.csv",
				"ID, Prompt ,SYSTEM,Max_Tokens,Expected,Topic Name\nr1,Say hi,Be brief,7,hi,greetings\n");

		List<Prompt> prompts = readAll(file, PromptOptions.DEFAULTS);
		InputScan scan = InputScan.of(file, PromptOptions.DEFAULTS);

		Prompt p = prompts.get(0);
		assertThat(p.id()).isEqualTo("r1");
		assertThat(p.messages()).containsExactly(Message.system("Be brief"), Message.user("Say hi"));
		assertThat(p.settings().maxTokens()).isEqualTo(7);
		assertThat(p.columns()).containsExactly(Map.entry("expected", "hi"), Map.entry("Topic Name", "greetings"));
		assertThat(scan.carriedColumns()).containsExactly("expected", "Topic Name");
	}

	@Test
	void matchesTemplateVariablesIgnoringCaseAndSpaces() throws IOException {
		Path file = write("vars.csv", "id, Question \nq1,2+2?\n");

		List<Prompt> prompts = readAll(file, new PromptOptions(null, "Answer: {{question}}"));

		assertThat(prompts.get(0).lastUserContent()).isEqualTo("Answer: 2+2?");
		assertThat(prompts.get(0).columns()).containsExactly(Map.entry(" Question ", "2+2?"));
	}

	@Test
	void namesANearMissOfThePromptColumnWithSpacesVisible() throws IOException {
		Path file = write("near.csv", "id, prompts\n1,hello\n");

		assertThatThrownBy(() -> readAll(file, PromptOptions.DEFAULTS)).isInstanceOf(InputException.class)
			.hasMessage(file + ":1: no 'prompt' column; did you mean ' prompts'? (columns are ['id', ' prompts']); "
					+ "rename it to prompt, or render prompts with --template");
	}

	@Test
	void refusesTwoColumnsThatAreBothThePromptColumn() throws IOException {
		Path file = write("twice.csv", "Prompt,prompt\na,b\n");

		assertThatThrownBy(() -> readAll(file, PromptOptions.DEFAULTS)).isInstanceOf(InputException.class)
			.hasMessage(file + ":1: columns 'Prompt' and 'prompt' are both the 'prompt' column; rename or remove one");
	}

	@Test
	void namesTheColumnsASemicolonHeaderWasReadAsWhenThePromptIsMissing() throws IOException {
		Path file = write("europe-no-prompt.csv", "id;question\n1;What?\n");

		assertThatThrownBy(() -> readAll(file, PromptOptions.DEFAULTS)).isInstanceOf(InputException.class)
			.hasMessageContaining("no 'prompt' column (columns are ['id', 'question'], read as ';'-separated)");
	}

	@Test
	void refusesAPrettyPrintedJsonArraySavedAsJsonLinesSayingHowToConvertIt() throws IOException {
		Path file = write("export.jsonl", "[\n  {\n    \"id\": \"1\",\n    \"prompt\": \"hi\"\n  }\n]\n");

		assertThatThrownBy(() -> readAll(file, PromptOptions.DEFAULTS)).isInstanceOf(InputException.class)
			.hasMessage(file + ":1: this is a JSON array, not JSON Lines (one object per line); convert it with: "
					+ "jq -c '.[]' export.jsonl > export.lines.jsonl");
	}

	@Test
	void refusesACompactJsonArrayOnOneLineTheSameWayEvenWhenSkippingInvalidRecords() throws IOException {
		Path file = write("array.jsonl", "[{\"prompt\":\"a\"},{\"prompt\":\"b\"}]\n");

		assertThatThrownBy(() -> readAll(file, new PromptOptions(null, null, true))).isInstanceOf(InputException.class)
			.hasMessageContaining("array.jsonl:1: this is a JSON array, not JSON Lines");
	}

	@Test
	void refusesAPrettyPrintedObjectSavedAsJsonLines() throws IOException {
		Path file = write("one.jsonl", "{\n  \"prompt\": \"hi\"\n}\n");

		assertThatThrownBy(() -> readAll(file, PromptOptions.DEFAULTS)).isInstanceOf(InputException.class)
			.hasMessage(file + ":1: this is one JSON object spread over several lines, not JSON Lines (one object per "
					+ "line); convert it with: jq -c . one.jsonl > one.lines.jsonl");
	}

	@ParameterizedTest
	@ValueSource(strings = { "{\"prompt\": nope}", "{\"prompt\":\"x\"}}", "{'prompt':'x'}", "{\"prompt\":\"x\",}",
			"{\"prompt\":\"unterminated}", "{\"prompt\":[1,", "{" })
	void saysWhatIsWrongWithABadLineWithoutTheParsersInternals(String bad) throws IOException {
		Path file = write("bad.jsonl", "{\"prompt\":\"fine\"}\n" + bad + "\n");

		assertThatThrownBy(() -> readAll(file, PromptOptions.DEFAULTS)).isInstanceOf(InputException.class)
			.hasMessageStartingWith(file + ":2: not valid JSON")
			.hasMessageNotContaining("StreamReadFeature")
			.hasMessageNotContaining("Source:")
			.hasMessageNotContaining("REDACTED")
			.hasMessageNotContaining("#UNKNOWN");
	}

	@Test
	void namesANearMissOfThePromptFieldInJsonLines() throws IOException {
		Path file = write("case.jsonl", "{\"id\":\"1\",\"Prompt\":\"hi\"}\n");

		assertThatThrownBy(() -> readAll(file, PromptOptions.DEFAULTS)).isInstanceOf(InputException.class)
			.hasMessageContaining("case.jsonl:1: no \"prompt\" or \"messages\" field; did you mean 'Prompt'?");
	}
}
