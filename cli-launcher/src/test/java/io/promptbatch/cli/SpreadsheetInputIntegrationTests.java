package io.promptbatch.cli;

import static io.promptbatch.cli.CliFixtures.execute;
import static io.promptbatch.cli.CliFixtures.jsonl;
import static org.assertj.core.api.Assertions.assertThat;

import io.promptbatch.cli.CliFixtures.Result;
import io.promptbatch.simulator.ChatSimulator;
import io.promptbatch.simulator.SimulatorConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Files as spreadsheets save them, run through the command: read as what they are, the assumption on the start
 * line, every row's prompt sent intact and its columns carried.
 */
class SpreadsheetInputIntegrationTests {

	@TempDir
	Path dir;

	ChatSimulator sim;

	@BeforeEach
	void start() throws Exception {
		sim = ChatSimulator.start(SimulatorConfig.builder().recordRequests(100).build());
	}

	@AfterEach
	void stop() {
		sim.close();
	}

	private Result run(Path input, String... more) {
		String[] args = { "run", "--base-url", sim.baseUrl(), "--model", "kimi-k2.5", "--input", input.toString(),
				"--output", dir.resolve("out.jsonl").toString(), "--state-dir", dir.resolve("state").toString() };
		String[] all = new String[args.length + more.length];
		System.arraycopy(args, 0, all, 0, args.length);
		System.arraycopy(more, 0, all, args.length, more.length);
		return execute(Map.of(), all);
	}

	/** The user messages the server was sent, in any order. */
	private List<String> sentPrompts() {
		return sim.recordedRequests().stream().map(r -> {
			JsonNode messages = r.get("messages");
			return messages.get(messages.size() - 1).get("content").asString();
		}).toList();
	}

	/** Excel's "Unicode text" (UTF-16LE with a byte-order mark, tab-separated) renamed to .csv. */
	@Test
	void runsAUtf16TabSeparatedFileSayingHowItWasRead() throws Exception {
		Path input = dir.resolve("unicode.csv");
		Files.write(input, ("\uFEFFid\tPrompt\tlang\r\nq1\t用一句话解释机器学习\tzh\r\nq2\tSay \"hi\", then stop\ten\r\n")
			.getBytes(StandardCharsets.UTF_16LE));

		Result result = run(input);

		assertThat(result.exitCode()).as(result.err()).isZero();
		assertThat(result.err()).contains("promptbatch: input read as UTF-16LE (byte-order mark), tab-separated\n");
		List<JsonNode> rows = jsonl(dir.resolve("out.jsonl"));
		assertThat(rows).extracting(r -> r.get("id").asString()).containsExactly("q1", "q2");
		assertThat(rows).extracting(r -> r.get("status").asString()).containsOnly("ok");
		assertThat(rows).extracting(r -> r.get("lang").asString()).containsExactly("zh", "en");
		assertThat(sentPrompts()).containsExactlyInAnyOrder("用一句话解释机器学习", "Say \"hi\", then stop");
	}

	/** Excel's CSV in most European locales: ';' between fields, commas inside them, the header as typed. */
	@Test
	void runsASemicolonSeparatedFileWithHeadersInAnyCaseSayingHowItWasRead() throws Exception {
		Path input = dir.resolve("europe.csv");
		Files.writeString(input, "ID; Prompt ;Note\nr1;Hello, world;a,b\nr2;\"Two; parts\";c\n");

		Result result = run(input);

		assertThat(result.exitCode()).as(result.err()).isZero();
		assertThat(result.err()).contains("promptbatch: input read as ';'-separated\n");
		List<JsonNode> rows = jsonl(dir.resolve("out.jsonl"));
		assertThat(rows).extracting(r -> r.get("id").asString()).containsExactly("r1", "r2");
		assertThat(rows).extracting(r -> r.get("Note").asString()).containsExactly("a,b", "c");
		assertThat(sentPrompts()).containsExactlyInAnyOrder("Hello, world", "Two; parts");
	}

	@Test
	void runsATsvFileWithoutAnAssumptionToReport() throws Exception {
		Path input = dir.resolve("prompts.tsv");
		Files.writeString(input, "id\tprompt\ttopic\nt1\tOne, two\tnumbers\n");

		Result result = run(input);

		assertThat(result.exitCode()).as(result.err()).isZero();
		assertThat(result.err()).doesNotContain("input read as");
		assertThat(jsonl(dir.resolve("out.jsonl"))).singleElement()
			.satisfies(r -> assertThat(r.get("topic").asString()).isEqualTo("numbers"));
		assertThat(sentPrompts()).containsExactly("One, two");
	}

	@Test
	void warnsThatATemplateWithoutVariablesSendsTheSamePromptForEveryRow() throws Exception {
		Path input = dir.resolve("rows.csv");
		Files.writeString(input, "id,question\n1,What is 2+2?\n2,What is 3+3?\n");

		Result result = run(input, "--template", "Answer the question.");

		assertThat(result.exitCode()).as(result.err()).isZero();
		assertThat(result.err())
			.contains("promptbatch: --template has no {{variable}}: every row sends the same prompt\n");
		assertThat(sentPrompts()).containsExactly("Answer the question.", "Answer the question.");
	}

	@Test
	void saysNothingOfTheTemplateWhenItHasAVariable() throws Exception {
		Path input = dir.resolve("rows.csv");
		Files.writeString(input, "id,question\n1,What is 2+2?\n");

		Result result = run(input, "--template", "Answer: {{question}}");

		assertThat(result.exitCode()).as(result.err()).isZero();
		assertThat(result.err()).doesNotContain("--template has no");
		assertThat(sentPrompts()).containsExactly("Answer: What is 2+2?");
	}
}
