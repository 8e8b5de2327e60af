package io.promptbatch.cli;

import static io.promptbatch.cli.CliFixtures.execute;
import static io.promptbatch.cli.CliFixtures.jsonl;
import static org.assertj.core.api.Assertions.assertThat;

import io.promptbatch.cli.CliFixtures.Result;
import io.promptbatch.simulator.CapFields;
import io.promptbatch.simulator.ChatSimulator;
import io.promptbatch.simulator.SimulatorConfig;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** The completion cap holds: sent in the field the server honours, and a run stops when it does not. */
class CapFieldIntegrationTests {

	private static final Map<String, String> KEY = Map.of("PROMPTBATCH_API_KEY", "k");

	@TempDir
	Path dir;

	/** Ten prompts; the first four with a cap of 100 of their own (longer than any answer), the rest 3. */
	private Path input() throws Exception {
		StringBuilder csv = new StringBuilder("id,prompt,max_tokens\n");
		for (int i = 1; i <= 10; i++) {
			csv.append('p').append(i).append(",\"").append(CliFixtures.promptOf(i)).append("\",")
				.append(i <= 4 ? 100 : 3).append('\n');
		}
		return Files.writeString(dir.resolve("capped.csv"), csv, StandardCharsets.UTF_8);
	}

	@Test
	void aServerThatIgnoresMaxTokensStopsTheRunAtTheFirstOverLongAnswerAndTheNamedFieldThenCompletesIt()
			throws Exception {
		// given: a server that reads only max_completion_tokens (as Kimi K2.6 does), a model the table sends
		// max_tokens for, one request at a time
		Path input = input();
		Path output = dir.resolve("answers.jsonl");
		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder()
			.capFields(CapFields.MAX_COMPLETION_TOKENS_ONLY)
			.recordRequests(100)
			.build())) {
			String[] command = { "run", "--base-url", sim.baseUrl(), "--model", "kimi-k2.5", "--concurrency", "1",
					"--input", input.toString(), "--output", output.toString(), "--state-dir",
					dir.resolve("state").toString() };

			// when
			Result stopped = execute(KEY, command);

			// then: exit 1 at row p5, the first whose answer is longer than its cap; nothing sent after it; the rows
			// before it and the over-long answer itself (paid for) are in the output
			assertThat(stopped.exitCode()).as(stopped.err()).isEqualTo(1);
			Matcher m = Pattern.compile("row p5: the server answered (\\d+) completion tokens for a cap of 3 sent as "
					+ "max_tokens: it ignores that field; pass --max-tokens-field max_completion_tokens, then run the "
					+ "same command again").matcher(stopped.err());
			assertThat(m.find()).as(stopped.err()).isTrue();
			List<JsonNode> rows = jsonl(output);
			assertThat(rows).extracting(r -> r.get("id").asString()).containsExactly("p1", "p2", "p3", "p4", "p5");
			assertThat(rows).allMatch(r -> r.get("status").asString().equals("ok"));
			assertThat(rows.get(4).get("completion_tokens").asInt()).isEqualTo(Integer.parseInt(m.group(1)))
				.isGreaterThan(3);
			assertThat(sim.counters().requests()).isEqualTo(5);
			assertThat(sim.recordedRequests()).allMatch(b -> b.has("max_tokens") && !b.has("max_completion_tokens"));

			// when: the same command, naming the field the server reads
			String[] fixed = java.util.stream.Stream.concat(java.util.Arrays.stream(command),
					java.util.stream.Stream.of("--max-tokens-field", "max_completion_tokens")).toArray(String[]::new);
			Result completed = execute(KEY, fixed);

			// then: the run continues where it stopped (no row sent twice) and every later answer holds its cap
			assertThat(completed.exitCode()).as(completed.err()).isZero();
			List<JsonNode> all = jsonl(output);
			assertThat(all).extracting(r -> r.get("id").asString())
				.containsExactly("p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8", "p9", "p10");
			assertThat(all.subList(5, 10)).allMatch(r -> r.get("completion_tokens").asInt() <= 3);
			assertThat(sim.counters().requests()).isEqualTo(10);
			List<JsonNode> later = sim.recordedRequests().subList(5, 10);
			assertThat(later).allMatch(b -> b.get("max_completion_tokens").asInt() == 3 && !b.has("max_tokens"));
		}
	}

	@Test
	void aBudgetCrossedByAnAnswerLongerThanItsCapSaysByHowMuch() throws Exception {
		// given: a server that ignores every cap, and a budget that covers one request's worst case under a cap of 1
		// (the prompt's 70-token bound and 1 completion token: $0.000045 at kimi-k2.5's prices)
		Path input = CliFixtures.csv(dir, 10);
		Path output = dir.resolve("answers.jsonl");
		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder().capFields(CapFields.NONE).build())) {
			// when
			Result stopped = execute(KEY, "run", "--base-url", sim.baseUrl(), "--model", "kimi-k2.5", "--concurrency",
					"1", "--max-tokens", "1", "--budget-usd", "0.000046", "--input", input.toString(), "--output",
					output.toString(), "--state-dir", dir.resolve("state").toString());

			// then: stopped at the first answer, which cost more than its worst case; the summary says by how much
			assertThat(stopped.exitCode()).as(stopped.err()).isEqualTo(1);
			assertThat(stopped.err()).contains("row p1: the server answered");
			List<JsonNode> rows = jsonl(output);
			assertThat(rows).hasSize(1);
			BigDecimal spent = new BigDecimal(rows.get(0).get("cost_usd").asString());
			BigDecimal over = spent.subtract(new BigDecimal("0.000046"));
			assertThat(over.signum()).as("the answer's cost %s", spent).isPositive();
			assertThat(stopped.err()).contains("the budget of $0.000046 was exceeded by $" + over.toPlainString() + " ($"
					+ spent.toPlainString() + " spent)");
			assertThat(sim.counters().requests()).isEqualTo(1);
		}
	}

	@Test
	void aKimiK26ModelGetsMaxCompletionTokensByDefault() throws Exception {
		// given: a server that honours both fields and records what it is sent
		Path input = CliFixtures.csv(dir, 3);
		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder().recordRequests(10).build())) {
			// when: the same input under K2.6 and under K2.5
			Result k26 = execute(KEY, "run", "--base-url", sim.baseUrl(), "--model", "kimi-k2.6", "--max-tokens", "5",
					"--input", input.toString(), "--output", dir.resolve("k26.jsonl").toString(), "--state-dir",
					dir.resolve("state").toString());
			Result k25 = execute(KEY, "run", "--base-url", sim.baseUrl(), "--model", "kimi-k2.5", "--max-tokens", "5",
					"--input", input.toString(), "--output", dir.resolve("k25.jsonl").toString(), "--state-dir",
					dir.resolve("state").toString());

			// then
			assertThat(k26.exitCode()).as(k26.err()).isZero();
			assertThat(k25.exitCode()).as(k25.err()).isZero();
			List<JsonNode> bodies = sim.recordedRequests();
			assertThat(bodies).hasSize(6);
			assertThat(bodies).filteredOn(b -> b.get("model").asString().equals("kimi-k2.6"))
				.hasSize(3)
				.allMatch(b -> b.get("max_completion_tokens").asInt() == 5 && !b.has("max_tokens"));
			assertThat(bodies).filteredOn(b -> b.get("model").asString().equals("kimi-k2.5"))
				.hasSize(3)
				.allMatch(b -> b.get("max_tokens").asInt() == 5 && !b.has("max_completion_tokens"));
		}
	}

	@Test
	void anUnknownCapFieldIsBadUsage() throws Exception {
		Path input = CliFixtures.csv(dir, 1);
		Result result = execute(KEY, "run", "--base-url", "http://127.0.0.1:9/v1", "--model", "m", "--max-tokens", "5",
				"--max-tokens-field", "max_output_tokens", "--input", input.toString(), "--output",
				dir.resolve("a.jsonl").toString(), "--state-dir", dir.resolve("state").toString());

		assertThat(result.exitCode()).isEqualTo(2);
		assertThat(result.err()).contains("--max-tokens-field: unknown cap field 'max_output_tokens'; choose one of "
				+ "[max_tokens, max_completion_tokens]");
	}
}
