package io.promptbatch.batch;

import static org.assertj.core.api.Assertions.assertThat;

import io.promptbatch.batch.output.OutputFormat;
import io.promptbatch.batch.output.RunTotals;
import io.promptbatch.core.score.Scorer;
import io.promptbatch.simulator.ChatSimulator;
import io.promptbatch.simulator.Latency;
import io.promptbatch.simulator.SimulatedAnswers;
import io.promptbatch.simulator.SimulatorConfig;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/** Datasets made for other tools: OpenAI Batch files, per-row settings, multi-turn, the cache, scoring. */
class InteropIntegrationTests {

	@TempDir
	Path dir;

	@RegisterExtension
	final JobApplication app = new JobApplication(() -> dir.resolve("state"), Map.of());

	private static ChatSimulator simulator() throws Exception {
		return ChatSimulator.start(SimulatorConfig.builder()
			.latency(Latency.fixed(Duration.ofMillis(2)))
			.recordRequests(1000)
			.build());
	}

	private static JsonNode json(String text) {
		return Inputs.JSON.readTree(text);
	}

	private static Path write(Path file, List<String> lines) throws Exception {
		Files.write(file, lines, StandardCharsets.UTF_8);
		return file;
	}

	@Test
	void anOpenAiBatchFileRunsAsGivenAndGivesBatchOutputLinesForEachCustomId() throws Exception {
		// given: 100 batch lines whose bodies name their own model and settings; line 50 is refused by the server
		int n = 100;
		List<String> lines = new ArrayList<>();
		for (int i = 1; i <= n; i++) {
			ObjectNode line = Inputs.JSON.createObjectNode();
			line.put("custom_id", "task-" + i);
			line.put("method", "POST");
			line.put("url", "/v1/chat/completions");
			ObjectNode body = line.putObject("body");
			body.put("model", "moonshot-v1-8k");
			ObjectNode system = body.putArray("messages").addObject();
			system.put("role", "system");
			system.put("content", "Be brief.");
			ObjectNode user = ((tools.jackson.databind.node.ArrayNode) body.get("messages")).addObject();
			user.put("role", "user");
			user.put("content", i == 50 ? "[[sim:status=400]] refuse me" : Inputs.promptOf(i));
			body.put("temperature", 0.7);
			body.put("max_tokens", 200);
			body.put("top_p", 0.9);
			lines.add(Inputs.JSON.writeValueAsString(line));
		}
		Path input = write(dir.resolve("batch-input.jsonl"), lines);
		Path output = dir.resolve("batch-output.jsonl");
		try (ChatSimulator sim = simulator()) {
			// --temperature given: it overrides the bodies' temperature; --model not given: the bodies' model stands
			RunSpec spec = RunSpec.builder(input, output, sim.baseUrl(), "kimi-k2.5")
				.concurrency(8)
				.temperature(0.0)
				.outputFormat(OutputFormat.OPENAI_BATCH)
				.build();

			// when
			RunOutcome outcome = app.launcher().run(spec, n, List.of());

			// then
			assertThat(outcome.exitCode()).as(outcome.failureMessage()).isEqualTo(3);
			List<JsonNode> rows = Inputs.jsonl(output);
			assertThat(rows).hasSize(n);
			for (int i = 1; i <= n; i++) {
				JsonNode row = rows.get(i - 1);
				assertThat(row.get("custom_id").asString()).isEqualTo("task-" + i);
				assertThat(row.get("id").asString()).startsWith("batch_req_");
				JsonNode response = row.get("response");
				if (i == 50) {
					assertThat(response.get("status_code").asInt()).isEqualTo(400);
					assertThat(response.at("/body/error/message").asString()).contains("Simulated status 400");
					// the server's error body as it came: Ace Data Cloud's shape, no type invented beside the code
					assertThat(response.at("/body/success").asBoolean(true)).isFalse();
					assertThat(response.at("/body/error/code").asString()).isEqualTo("simulated_400");
					assertThat(response.at("/body/error").has("type")).isFalse();
					assertThat(response.at("/body/trace_id").asString()).isEqualTo(response.get("request_id").asString());
					assertThat(row.get("error").isNull()).isTrue();
					continue;
				}
				assertThat(response.get("status_code").asInt()).isEqualTo(200);
				assertThat(row.get("error").isNull()).isTrue();
				JsonNode body = response.get("body");
				assertThat(body.get("object").asString()).isEqualTo("chat.completion");
				assertThat(body.get("model").asString()).isEqualTo("moonshot-v1-8k");
				String answer = SimulatedAnswers.answerFor(Inputs.promptOf(i));
				assertThat(body.at("/choices/0/message/content").asString()).isEqualTo(answer);
				assertThat(body.at("/choices/0/finish_reason").asString()).isEqualTo("stop");
				long promptTokens = SimulatedAnswers.promptTokensFor(List.of("Be brief.", Inputs.promptOf(i)));
				long completionTokens = SimulatedAnswers.completionTokensFor(answer);
				assertThat(body.at("/usage/prompt_tokens").asLong()).isEqualTo(promptTokens);
				assertThat(body.at("/usage/completion_tokens").asLong()).isEqualTo(completionTokens);
				assertThat(body.at("/usage/total_tokens").asLong()).isEqualTo(promptTokens + completionTokens);
			}
			List<JsonNode> requests = sim.recordedRequests();
			assertThat(requests).hasSize(n);
			for (JsonNode request : requests) {
				assertThat(request.get("model").asString()).isEqualTo("moonshot-v1-8k");
				assertThat(request.get("temperature").asDouble()).isEqualTo(0.0);
				assertThat(request.get("max_tokens").asInt()).isEqualTo(200);
				assertThat(request.get("top_p").asDouble()).isEqualTo(0.9);
			}
		}
	}

	@Test
	void aRecordsOwnSettingsOverrideTheRunsAndParamsReachTheServer() throws Exception {
		Path input = write(dir.resolve("settings.csv"), List.of("id,prompt,temperature,max_tokens,model",
				"a,First prompt,0.9,,", "b,Second prompt,,3,kimi-k2-thinking", "c,Third prompt,,,"));
		Path output = dir.resolve("settings.jsonl");
		try (ChatSimulator sim = simulator()) {
			RunSpec spec = RunSpec.builder(input, output, sim.baseUrl(), "kimi-k2.5")
				.concurrency(1)
				.temperature(0.1)
				.maxTokens(100)
				.params(Map.of("top_p", json("0.5"), "response_format", json("{\"type\":\"json_object\"}")))
				.build();

			assertThat(app.launcher().run(spec, 3, List.of()).exitCode()).isZero();

			List<JsonNode> requests = sim.recordedRequests();
			assertThat(requests).extracting(r -> r.get("temperature").asDouble()).containsExactly(0.9, 0.1, 0.1);
			assertThat(requests).extracting(r -> r.get("max_tokens").asInt()).containsExactly(100, 3, 100);
			assertThat(requests).extracting(r -> r.get("model").asString())
				.containsExactly("kimi-k2.5", "kimi-k2-thinking", "kimi-k2.5");
			assertThat(requests).allSatisfy(r -> {
				assertThat(r.get("top_p").asDouble()).isEqualTo(0.5);
				assertThat(r.at("/response_format/type").asString()).isEqualTo("json_object");
			});
			List<JsonNode> rows = Inputs.jsonl(output);
			assertThat(json(rows.get(0).get("answer").asString()).get("answer").asString())
				.isEqualTo(SimulatedAnswers.answerFor("First prompt"));
			assertThat(rows.get(1).get("finish_reason").asString()).isEqualTo("length");
		}
	}

	@Test
	void multiTurnRowsAreAnsweredAsTheNextTurnOfTheirConversation() throws Exception {
		Path input = write(dir.resolve("chat.jsonl"), List.of(
				"{\"id\":\"c1\",\"messages\":[{\"role\":\"user\",\"content\":\"Pick a city.\"},"
						+ "{\"role\":\"assistant\",\"content\":\"Kyoto.\"},{\"role\":\"user\",\"content\":\"Why that one?\"}]}",
				"{\"id\":\"c2\",\"prompt\":\"Why that one?\"}"));
		Path output = dir.resolve("chat-answers.jsonl");
		try (ChatSimulator sim = simulator()) {
			RunSpec spec = RunSpec.builder(input, output, sim.baseUrl(), "kimi-k2.5").concurrency(1).build();

			assertThat(app.launcher().run(spec, 2, List.of()).exitCode()).isZero();

			List<JsonNode> rows = Inputs.jsonl(output);
			assertThat(rows.get(0).get("answer").asString()).isEqualTo(SimulatedAnswers.answerFor("Why that one?", 2));
			assertThat(rows.get(1).get("answer").asString()).isEqualTo(SimulatedAnswers.answerFor("Why that one?", 1));
			assertThat(rows.get(0).get("prompt_tokens").asLong())
				.isEqualTo(SimulatedAnswers.promptTokensFor(List.of("Pick a city.", "Kyoto.", "Why that one?")));
			JsonNode conversation = sim.recordedRequests().get(0).get("messages");
			assertThat(conversation).hasSize(3);
			assertThat(conversation.get(1).get("role").asString()).isEqualTo("assistant");
		}
	}

	@Test
	void theSamePromptsIntoANewOutputAreAnsweredFromTheCacheWithoutARequest() throws Exception {
		int n = 100;
		Path input = Inputs.csv(dir, n);
		try (ChatSimulator sim = simulator()) {
			RunSpec first = RunSpec.builder(input, dir.resolve("first.jsonl"), sim.baseUrl(), "kimi-k2.5")
				.concurrency(8)
				.maxTokens(50)
				.build();
			assertThat(app.launcher().run(first, n, List.of("group")).exitCode()).isZero();
			assertThat(sim.counters().requests()).isEqualTo(n);
			sim.counters().clear();

			// when: the same prompts into a new output, under a budget that could not pay for one request
			RunSpec again = RunSpec.builder(input, dir.resolve("again.jsonl"), sim.baseUrl(), "kimi-k2.5")
				.concurrency(8)
				.maxTokens(50)
				.budgetUsd(new BigDecimal("0.0000001"))
				.build();
			RunOutcome outcome = app.launcher().run(again, n, List.of("group"));

			// then: not one request; every row as before, marked cached, cost 0
			assertThat(outcome.exitCode()).as(outcome.failureMessage()).isZero();
			assertThat(sim.counters().requests()).isZero();
			List<JsonNode> before = Inputs.jsonl(dir.resolve("first.jsonl"));
			List<JsonNode> after = Inputs.jsonl(dir.resolve("again.jsonl"));
			assertThat(after).hasSize(n);
			for (int i = 0; i < n; i++) {
				assertThat(after.get(i).get("answer")).isEqualTo(before.get(i).get("answer"));
				assertThat(after.get(i).get("cached").asBoolean()).isTrue();
				assertThat(before.get(i).get("cached").asBoolean()).isFalse();
				assertThat(after.get(i).get("cost_usd").decimalValue()).isZero();
				assertThat(after.get(i).get("prompt_tokens")).isEqualTo(before.get(i).get("prompt_tokens"));
			}
			RunTotals totals = outcome.totals();
			assertThat(totals.cached()).isEqualTo(n);
			assertThat(totals.costUsd()).isZero();
			assertThat(totals.promptTokens()).isZero();

			// --no-cache sends every request again
			RunSpec bypass = RunSpec.builder(input, dir.resolve("bypass.jsonl"), sim.baseUrl(), "kimi-k2.5")
				.concurrency(8)
				.maxTokens(50)
				.cache(CacheMode.BYPASS)
				.build();
			assertThat(app.launcher().run(bypass, n, List.of("group")).totals().cached()).isZero();
			assertThat(sim.counters().requests()).isEqualTo(n);
			sim.counters().clear();

			// --cache-only answers what the cache knows and fails the rest, sending nothing
			Path more = Inputs.csv(dir, n + 10);
			RunSpec cacheOnly = RunSpec.builder(more, dir.resolve("cache-only.jsonl"), sim.baseUrl(), "kimi-k2.5")
				.maxTokens(50)
				.cache(CacheMode.ONLY)
				.build();
			RunOutcome only = app.launcher().run(cacheOnly, n + 10, List.of("group"));
			assertThat(only.exitCode()).isEqualTo(3);
			assertThat(sim.counters().requests()).isZero();
			List<JsonNode> rows = Inputs.jsonl(dir.resolve("cache-only.jsonl"));
			assertThat(rows.subList(0, n)).allSatisfy(r -> assertThat(r.get("cached").asBoolean()).isTrue());
			assertThat(rows.subList(n, n + 10)).allSatisfy(r -> {
				assertThat(r.get("status").asString()).isEqualTo("failed");
				assertThat(r.get("error").asString()).contains("not_cached");
			});
		}
	}

	@Test
	void aScoredRunScoresEachRowAndReportsThePassRatePerModel() throws Exception {
		// given: 20 rows; the even ones expect text the answer contains, the odd ones text it does not
		List<String> lines = new ArrayList<>(List.of("id,prompt,model,expected"));
		for (int i = 1; i <= 20; i++) {
			lines.add("r" + i + ",\"" + Inputs.promptOf(i) + "\"," + (i <= 10 ? "kimi-k2.5" : "kimi-k2-thinking") + ","
					+ (i % 2 == 0 ? "ABOUT THE NUMBER " + i : "banana"));
		}
		lines.add("r21,An unscored prompt,kimi-k2.5,");
		Path input = write(dir.resolve("scored.csv"), lines);
		Path output = dir.resolve("scored.jsonl");
		try (ChatSimulator sim = simulator()) {
			RunSpec spec = RunSpec.builder(input, output, sim.baseUrl(), "kimi-k2.5")
				.concurrency(4)
				.score(Scorer.CONTAINS)
				.build();

			RunOutcome outcome = app.launcher().run(spec, 21, List.of("expected"));

			assertThat(outcome.exitCode()).isZero();
			List<JsonNode> rows = Inputs.jsonl(output);
			for (int i = 1; i <= 20; i++) {
				assertThat(rows.get(i - 1).get("score").asInt()).as("score of r" + i).isEqualTo(i % 2 == 0 ? 1 : 0);
				assertThat(rows.get(i - 1).get("expected")).isNotNull();
			}
			assertThat(rows.get(20).get("score").isNull()).isTrue();
			Map<String, RunTotals.Score> scores = outcome.totals().scores();
			assertThat(scores).containsOnlyKeys("kimi-k2.5", "kimi-k2-thinking");
			assertThat(scores.get("kimi-k2.5")).isEqualTo(new RunTotals.Score(10, 5, 5, 1));
			assertThat(scores.get("kimi-k2-thinking")).isEqualTo(new RunTotals.Score(10, 5, 5, 1));
			assertThat(scores.get("kimi-k2.5").passRate()).isEqualTo(0.5);
		}
	}
}
