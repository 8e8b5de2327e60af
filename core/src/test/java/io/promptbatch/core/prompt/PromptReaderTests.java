package io.promptbatch.core.prompt;

import io.promptbatch.core.chat.Message;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PromptReaderTests {

	static Path fixture(String name) {
		try {
			return Path.of(PromptReaderTests.class.getResource("/inputs/" + name).toURI());
		}
		catch (URISyntaxException e) {
			throw new IllegalStateException(e);
		}
	}

	static List<Prompt> readAll(Path file, PromptOptions options) {
		List<Prompt> prompts = new ArrayList<>();
		try (PromptReader reader = PromptReader.open(file, options)) {
			Prompt p;
			while ((p = reader.read()) != null) {
				prompts.add(p);
			}
		}
		return prompts;
	}

	@Test
	void acceptsByteOrderMarkCrlfQuotedLineBreaksAndBlankTrailingLines() {
		List<Prompt> prompts = readAll(fixture("bom-crlf.csv"), PromptOptions.DEFAULTS);

		assertThat(prompts).extracting(Prompt::id).containsExactly("a1", "a2", "a3");
		assertThat(prompts.get(0).lastUserContent()).isEqualTo("Hello, world");
		assertThat(prompts.get(1).lastUserContent()).isEqualTo("Line one\r\nline two \"quoted\"");
		assertThat(prompts.get(2).lastUserContent()).isEqualTo("你好");
		assertThat(prompts.get(2).columns()).containsEntry("lang", "zh");
		assertThat(prompts.get(1).line()).isEqualTo(3);
		assertThat(prompts.get(2).line()).isEqualTo(5);
	}

	@Test
	void rendersTemplatesAndSystemMessages() {
		List<Prompt> prompts = readAll(fixture("bom-crlf.csv"), new PromptOptions("Answer in {{lang}}.", "Say: {{prompt}} ({{lang}})"));

		assertThat(prompts.get(0).messages()).containsExactly(Message.system("Answer in {{lang}}."),
				Message.user("Say: Hello, world (en)"));
		assertThat(prompts.get(0).columns()).containsKeys("prompt", "lang");
	}

	@Test
	void refusesATemplateVariableThatIsNotAColumn() {
		assertThatThrownBy(() -> readAll(fixture("bom-crlf.csv"), new PromptOptions(null, "{{nope}}")))
			.isInstanceOf(InputException.class)
			.hasMessageContaining("bom-crlf.csv:1")
			.hasMessageContaining("{{nope}}");
	}

	@Test
	void namesTheLineOfAnUnbalancedQuote() {
		assertThatThrownBy(() -> readAll(fixture("unbalanced-quote.csv"), PromptOptions.DEFAULTS))
			.isInstanceOf(InputException.class)
			.hasMessageContaining("unbalanced-quote.csv:3")
			.hasMessageContaining("unbalanced double quote");
	}

	@Test
	void namesTheMissingPromptColumnAndTheColumnsFound() {
		assertThatThrownBy(() -> readAll(fixture("missing-prompt-column.csv"), PromptOptions.DEFAULTS))
			.isInstanceOf(InputException.class)
			.hasMessageContaining("missing-prompt-column.csv:1")
			.hasMessageContaining("no 'prompt' column (columns are ['id', 'question'])")
			.hasMessageContaining("--template");
	}

	@Test
	void saysAFileIsNotUtf8AndHowToConvertIt() {
		assertThatThrownBy(() -> readAll(fixture("gbk.csv"), PromptOptions.DEFAULTS))
			.isInstanceOf(InputException.class)
			.hasMessageContaining("gbk.csv:2:")
			.hasMessageContaining("not UTF-8")
			.hasMessageContaining("iconv -f GBK -t UTF-8");
	}

	@Test
	void refusesAnEmptyPrompt() {
		assertThatThrownBy(() -> readAll(fixture("empty-prompt.csv"), PromptOptions.DEFAULTS))
			.isInstanceOf(InputException.class)
			.hasMessageContaining("empty-prompt.csv:3")
			.hasMessageContaining("the prompt is empty");
	}

	@Test
	void refusesARecordWithMoreFieldsThanTheHeader() {
		assertThatThrownBy(() -> readAll(fixture("stray-comma.csv"), PromptOptions.DEFAULTS))
			.isInstanceOf(InputException.class)
			.hasMessageContaining("stray-comma.csv:3")
			.hasMessageContaining("has 3 fields but the header has 2");
	}

	@Test
	void namesTheLineOfInvalidJson() {
		assertThatThrownBy(() -> readAll(fixture("invalid-line.jsonl"), PromptOptions.DEFAULTS))
			.isInstanceOf(InputException.class)
			.hasMessageContaining("invalid-line.jsonl:4")
			.hasMessageContaining("not valid JSON");
	}

	@Test
	void namesTheLineWithoutPromptOrMessages() {
		assertThatThrownBy(() -> readAll(fixture("missing-prompt.jsonl"), PromptOptions.DEFAULTS))
			.isInstanceOf(InputException.class)
			.hasMessageContaining("missing-prompt.jsonl:2")
			.hasMessageContaining("no \"prompt\" or \"messages\" field");
	}

	@Test
	void readsMultiTurnConversationsAsGivenAndNumbersRecordsWithoutId() {
		List<Prompt> prompts = readAll(fixture("multi-turn.jsonl"), new PromptOptions("Default system", null));

		assertThat(prompts.get(0).messages()).extracting(Message::role)
			.containsExactly("system", "user", "assistant", "user");
		assertThat(prompts.get(0).messages().get(0).content()).isEqualTo("Be brief.");
		assertThat(prompts.get(0).lastUserContent()).isEqualTo("Tell me a joke.");
		assertThat(prompts.get(0).columns()).containsEntry("topic", "fun");
		assertThat(prompts.get(1).id()).isEqualTo("2");
		assertThat(prompts.get(1).messages()).containsExactly(Message.system("Default system"),
				Message.user("no id here"));
		assertThat(prompts.get(1).columns()).containsEntry("score", "3");
	}

	@Test
	void saysWhenTheInputFileIsMissing() {
		assertThatThrownBy(() -> PromptReader.open(Path.of("does-not-exist.csv"), PromptOptions.DEFAULTS))
			.isInstanceOf(InputException.class)
			.hasMessage("does-not-exist.csv: input file not found; check the path given to --input");
	}

	@Test
	void skipsRecordsToResumeARange() {
		try (PromptReader reader = PromptReader.open(fixture("bom-crlf.csv"), PromptOptions.DEFAULTS)) {
			assertThat(reader.skip(2)).isEqualTo(2);
			Prompt next = reader.read();
			assertThat(next.id()).isEqualTo("a3");
			assertThat(next.recordNumber()).isEqualTo(3);
			assertThat(reader.read()).isNull();
		}
	}

	@Test
	void scansTheWholeFileBeforeTheRun() {
		InputScan scan = InputScan.of(fixture("multi-turn.jsonl"), PromptOptions.DEFAULTS);

		assertThat(scan.records()).isEqualTo(2);
		assertThat(scan.carriedColumns()).containsExactly("topic", "score");
	}

	@Test
	void refusesDuplicateIdsNamingBothLines() {
		assertThatThrownBy(() -> readAll(fixture("duplicate-ids.csv"), PromptOptions.DEFAULTS))
			.isInstanceOf(InputException.class)
			.hasMessageContaining("duplicate-ids.csv:4")
			.hasMessageContaining("duplicate id 'd1' (first used at line 2)")
			.hasMessageContaining("--skip-invalid");
	}

	@Test
	void skipInvalidLeavesOutBadRecordsAndRepeatedIdsAndReportsEach() {
		List<Rejected> rejected = new ArrayList<>();

		InputScan scan = InputScan.of(fixture("some-invalid.jsonl"), new PromptOptions(null, null, true),
				rejected::add);

		assertThat(scan.records()).isEqualTo(2);
		assertThat(scan.rejected()).isEqualTo(4);
		assertThat(rejected).extracting(Rejected::line).containsExactly(2L, 3L, 4L, 5L);
		assertThat(rejected.get(0).reason()).startsWith("not valid JSON");
		assertThat(rejected.get(1).reason()).startsWith("no \"prompt\" or \"messages\" field");
		assertThat(rejected.get(2).reason()).isEqualTo("duplicate id 's1' (first used at line 1)");
		assertThat(rejected.get(2).id()).isEqualTo("s1");
		assertThat(rejected.get(3).reason()).startsWith("the prompt is empty");
		List<Prompt> kept = readAll(fixture("some-invalid.jsonl"), new PromptOptions(null, null, true));
		assertThat(kept).extracting(Prompt::id).containsExactly("s1", "s5");
	}

	@Test
	void aRejectedCsvRecordKeepsTheIdItNames(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp)
			throws Exception {
		java.nio.file.Path file = tmp.resolve("some-invalid.csv");
		java.nio.file.Files.writeString(file, "id,prompt,temperature\nc1,hello,\nc2,,\nc3,hi,hot\n,   ,\n");
		List<Rejected> rejected = new ArrayList<>();

		InputScan scan = InputScan.of(file, new PromptOptions(null, null, true), rejected::add);

		assertThat(scan.records()).isEqualTo(1);
		assertThat(rejected).extracting(Rejected::id).containsExactly("c2", "c3", null);
		assertThat(rejected).extracting(Rejected::line).containsExactly(3L, 4L, 5L);
	}

	@Test
	void skipInvalidStillStopsAtAProblemThatBreaksTheRestOfTheFile() {
		assertThatThrownBy(() -> readAll(fixture("unbalanced-quote.csv"), new PromptOptions(null, null, true)))
			.isInstanceOf(InputException.class)
			.hasMessageContaining("unbalanced double quote");
	}

	@Test
	void runsOpenAiBatchLinesAsGivenWithTheBodyAsTheRequest() {
		List<Prompt> prompts = readAll(fixture("openai-batch.jsonl"), PromptOptions.DEFAULTS);

		assertThat(prompts).extracting(Prompt::id).containsExactly("req-1", "req-2");
		Prompt first = prompts.get(0);
		assertThat(first.messages()).containsExactly(Message.system("Be brief."), Message.user("Name a prime."));
		assertThat(first.model()).isEqualTo("gpt-4o-mini");
		assertThat(first.settings().temperature()).isEqualTo(0.2);
		assertThat(first.settings().maxTokens()).isEqualTo(50);
		assertThat(first.settings().fromRequestBody()).isTrue();
		// other body fields pass through; the transport's own ("stream") is the client's to choose
		assertThat(first.settings().params()).containsOnlyKeys("top_p", "response_format");
		assertThat(first.settings().params().get("response_format").path("type").asString()).isEqualTo("json_object");
		// fields beside the request are carried (and "expected" can be scored); the batch envelope is not
		assertThat(first.columns()).containsExactly(java.util.Map.entry("expected", "7"));
		assertThat(prompts.get(1).model()).isNull();
		assertThat(prompts.get(1).settings().params()).isEmpty();
	}

	@Test
	void refusesAnOpenAiBatchLineThatIsNotAChatCompletionNamingItsLine() {
		assertThatThrownBy(() -> readAll(fixture("openai-batch-embeddings.jsonl"), PromptOptions.DEFAULTS))
			.isInstanceOf(InputException.class)
			.hasMessageContaining("openai-batch-embeddings.jsonl:2")
			.hasMessageContaining("/v1/embeddings")
			.hasMessageContaining("only chat completions");
	}

	@Test
	void readsPerRowTemperatureAndMaxTokensFromCsvColumns() {
		assertThatThrownBy(() -> readAll(fixture("row-settings.csv"), PromptOptions.DEFAULTS))
			.isInstanceOf(InputException.class)
			.hasMessageContaining("row-settings.csv:4")
			.hasMessageContaining("temperature 'hot' is not a number");
		List<Prompt> prompts = new ArrayList<>();
		try (PromptReader reader = PromptReader.open(fixture("row-settings.csv"), PromptOptions.DEFAULTS)) {
			prompts.add(reader.read());
			prompts.add(reader.read());
		}
		assertThat(prompts.get(0).settings().temperature()).isEqualTo(0.7);
		assertThat(prompts.get(0).settings().maxTokens()).isEqualTo(64);
		assertThat(prompts.get(0).settings().fromRequestBody()).isFalse();
		assertThat(prompts.get(1).settings().temperature()).isNull();
		assertThat(prompts.get(1).settings().maxTokens()).isNull();
		// settings are not template variables carried to the output; "expected" is
		assertThat(prompts.get(0).columns()).containsOnlyKeys("expected");
	}

	@Test
	void readsPerRowSettingsFromJsonlFieldsAndRefusesABadOne() {
		assertThatThrownBy(() -> readAll(fixture("row-settings.jsonl"), PromptOptions.DEFAULTS))
			.isInstanceOf(InputException.class)
			.hasMessageContaining("row-settings.jsonl:2")
			.hasMessageContaining("max_tokens '-3'");
		try (PromptReader reader = PromptReader.open(fixture("row-settings.jsonl"), PromptOptions.DEFAULTS)) {
			Prompt first = reader.read();
			assertThat(first.model()).isEqualTo("kimi-k2-thinking");
			assertThat(first.settings().temperature()).isEqualTo(1.5);
			assertThat(first.settings().maxTokens()).isEqualTo(12);
		}
	}
}
