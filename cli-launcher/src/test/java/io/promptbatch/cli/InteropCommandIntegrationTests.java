package io.promptbatch.cli;

import static io.promptbatch.cli.CliFixtures.execute;
import static io.promptbatch.cli.CliFixtures.jsonl;
import static org.assertj.core.api.Assertions.assertThat;

import io.promptbatch.cli.CliFixtures.Result;
import io.promptbatch.simulator.ChatSimulator;
import io.promptbatch.simulator.Latency;
import io.promptbatch.simulator.SimulatorConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

class InteropCommandIntegrationTests {

	static final Path SAMPLE_BATCH = Path.of("../sample-data/openai-batch.jsonl");

	@TempDir
	Path dir;

	private String[] run(ChatSimulator sim, String input, String output, String... more) {
		List<String> args = new java.util.ArrayList<>(List.of("run", "--base-url", sim.baseUrl(), "--model", "kimi-k2.5",
				"--input", input, "--output", dir.resolve(output).toString(), "--state-dir",
				dir.resolve("state").toString()));
		args.addAll(List.of(more));
		return args.toArray(String[]::new);
	}

	@Test
	void theOpenAiBatchSampleRunsIntoBatchOutputScoredAndThenFromTheCache() throws Exception {
		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder()
			.latency(Latency.fixed(Duration.ofMillis(5)))
			.build())) {
			// when
			Result first = execute(Map.of(), run(sim, SAMPLE_BATCH.toString(), "batch-out.jsonl", "--output-format",
					"openai-batch", "--score", "regex"));

			// then
			assertThat(first.exitCode()).as(first.err()).isZero();
			List<JsonNode> lines = jsonl(dir.resolve("batch-out.jsonl"));
			assertThat(lines).extracting(l -> l.get("custom_id").asString())
				.containsExactly("b01", "b02", "b03", "b04", "b05", "b06", "b07", "b08", "b09", "b10");
			assertThat(lines).allSatisfy(l -> assertThat(l.at("/response/status_code").asInt()).isEqualTo(200));
			assertThat(sim.counters().requests()).isEqualTo(10);
			// the simulator's answers echo the question, so the expected word passes where the question holds it
			assertThat(first.err()).contains("score: kimi-k2.5 ");
			JsonNode summary = CliFixtures.JSON.readTree(dir.resolve("batch-out.jsonl.summary.json").toFile());
			assertThat(summary.at("/scores/kimi-k2.5/scored").asLong()).isEqualTo(10);

			// when: the same file into another output
			sim.counters().clear();
			Result again = execute(Map.of(), run(sim, SAMPLE_BATCH.toString(), "again.jsonl"));

			// then: answered from the cache, nothing sent
			assertThat(again.exitCode()).as(again.err()).isZero();
			assertThat(again.err()).contains("10 ok (10 from the cache)");
			assertThat(sim.counters().requests()).isZero();
			assertThat(jsonl(dir.resolve("again.jsonl"))).allSatisfy(r -> assertThat(r.get("cached").asBoolean()).isTrue());
		}
	}

	@Test
	void refusesContradictoryOrUnusableInteropSettingsBeforeAnyRequest() throws Exception {
		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder().build())) {
			String csv = CliFixtures.SAMPLE_CSV.toString();

			Result noExpected = execute(Map.of(), run(sim, csv, "a.jsonl", "--score", "exact"));
			assertThat(noExpected.exitCode()).isEqualTo(2);
			assertThat(noExpected.err()).contains("'expected' column or field").contains("prompts.csv has none");

			Result both = execute(Map.of(), run(sim, csv, "b.jsonl", "--no-cache", "--cache-only"));
			assertThat(both.exitCode()).isEqualTo(2);
			assertThat(both.err()).contains("--no-cache and --cache-only");

			Result transport = execute(Map.of(), run(sim, csv, "c.jsonl", "--param", "stream=true"));
			assertThat(transport.exitCode()).isEqualTo(2);
			assertThat(transport.err()).contains("--param stream");

			Result format = execute(Map.of(), run(sim, csv, "d.jsonl", "--output-format", "xml"));
			assertThat(format.exitCode()).isEqualTo(2);
			assertThat(format.err()).contains("use jsonl, csv or openai-batch");

			Result template = execute(Map.of(), run(sim, CliFixtures.SAMPLE_JSONL.toString(), "e.jsonl", "--template",
					"Answer about {{subject}}"));
			assertThat(template.exitCode()).isEqualTo(2);
			assertThat(template.err()).contains("prompts.jsonl:1").contains("{{subject}}");

			assertThat(sim.counters().requests()).isZero();
		}
	}

	@Test
	void aTemplateWithParamsRendersEachRowAndTheJsonScorerChecksTheAnswers() throws Exception {
		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder().recordRequests(100).build())) {
			Result result = execute(Map.of(), run(sim, "../sample-data/eval.csv", "eval.jsonl", "--template",
					"Answer in one word: {{question}}", "--param", "response_format={\"type\":\"json_object\"}",
					"--param", "top_p=0.5", "--param", "stop=END", "--score", "json"));

			assertThat(result.exitCode()).as(result.err()).isZero();
			assertThat(sim.recordedRequests()).hasSize(10).allSatisfy(r -> {
				assertThat(r.at("/messages/0/content").asString()).startsWith("Answer in one word: ");
				assertThat(r.get("top_p").asDouble()).isEqualTo(0.5);
				assertThat(r.get("stop").asString()).isEqualTo("END");
			});
			assertThat(sim.recordedRequests()).extracting(r -> r.at("/messages/0/content").asString())
				.contains("Answer in one word: What is the capital of Australia?",
						"Answer in one word: Name the longest river in Africa.");
			// json mode answers are valid JSON, but not the expected value itself: every row scores 0
			assertThat(jsonl(dir.resolve("eval.jsonl"))).allSatisfy(r -> assertThat(r.get("score").asInt()).isZero());
			assertThat(result.err()).contains("score: kimi-k2.5 0/10 passed (0.0%)");
		}
	}
}
