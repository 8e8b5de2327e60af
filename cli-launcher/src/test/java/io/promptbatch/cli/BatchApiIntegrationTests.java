package io.promptbatch.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.promptbatch.simulator.ChatSimulator;
import io.promptbatch.simulator.SimulatorConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** {@code run --batch-api} through the real command against the simulator's Batch API. */
class BatchApiIntegrationTests {

	@TempDir
	Path dir;

	private CliFixtures.Result run(ChatSimulator sim, Path input, String output, String... extra) {
		return CliFixtures.execute(Map.of(), args(sim, input, output, output + ".state", List.of(extra)));
	}

	/** The run command writing {@code output} with its state in {@code stateDir}, both in the test's directory. */
	private String[] args(ChatSimulator sim, Path input, String output, String stateDir, List<String> extra) {
		List<String> args = new ArrayList<>(List.of("run", "--base-url", sim.baseUrl(), "--input", input.toString(),
				"--output", dir.resolve(output).toString(), "--state-dir", dir.resolve(stateDir).toString(),
				"--batch-max-poll", "200ms"));
		args.addAll(extra);
		return args.toArray(String[]::new);
	}

	private static SimulatorConfig.Builder quickBatches() {
		return SimulatorConfig.builder().batchDuration(Duration.ofMillis(400));
	}

	/** Batches that take 2 s to run and expire after 1.2 s, part-way through. */
	private static SimulatorConfig.Builder expiringBatches() {
		return SimulatorConfig.builder().batchDuration(Duration.ofSeconds(2)).batchExpireAfter(Duration.ofMillis(1200));
	}

	/** Each row has the live run's row's id, status, model, answer and token counts. */
	private static void assertSameAsLive(List<JsonNode> rows, List<JsonNode> liveRows, int count) {
		for (int i = 0; i < count; i++) {
			for (String field : List.of("id", "status", "model", "answer", "prompt_tokens", "completion_tokens",
					"total_tokens")) {
				assertThat(rows.get(i).get(field)).as("row %d %s", i + 1, field).isEqualTo(liveRows.get(i).get(field));
			}
		}
	}

	@Test
	void aBatchRunsRowsEqualALiveRunsRowsAndCostBatchPrices() throws Exception {
		// given
		Path input = CliFixtures.csv(dir, 30);
		try (ChatSimulator sim = ChatSimulator.start(quickBatches().build())) {
			// when
			CliFixtures.Result live = run(sim, input, "live.jsonl", "--model", "kimi-k2.5");
			CliFixtures.Result batch = run(sim, input, "batch.jsonl", "--model", "kimi-k2.5", "--batch-api");
			// then
			assertThat(live.exitCode()).as(live.err()).isZero();
			assertThat(batch.exitCode()).as(batch.err()).isZero();
			List<JsonNode> liveRows = CliFixtures.jsonl(dir.resolve("live.jsonl"));
			List<JsonNode> batchRows = CliFixtures.jsonl(dir.resolve("batch.jsonl"));
			assertThat(batchRows).hasSize(30);
			assertSameAsLive(batchRows, liveRows, 30);
			for (int i = 0; i < 30; i++) {
				// kimi-k2.5 through Kimi's Batch API costs 60 % of its live price
				assertThat(batchRows.get(i).get("cost_usd").asDouble())
					.isCloseTo(liveRows.get(i).get("cost_usd").asDouble() * 0.6, within(1e-9));
			}
			assertThat(batchRows.get(0).get("id").asString()).isEqualTo("p1");
			assertThat(sim.counters().filesUploaded()).isEqualTo(1);
			assertThat(sim.counters().batchesCreated()).isEqualTo(1);
		}
	}

	@Test
	void twoModelsMakeTwoBatchesAndTheRowsStayInInputOrder() throws Exception {
		// given: records alternating between two models
		Path input = dir.resolve("models.csv");
		StringBuilder csv = new StringBuilder("id,prompt,model\n");
		for (int i = 1; i <= 12; i++) {
			csv.append("m").append(i).append(",\"").append(CliFixtures.promptOf(i)).append("\",")
				.append(i % 2 == 0 ? "kimi-k2.5" : "kimi-k2-0905-preview").append('\n');
		}
		Files.writeString(input, csv, StandardCharsets.UTF_8);
		try (ChatSimulator sim = ChatSimulator.start(quickBatches().build())) {
			// when
			CliFixtures.Result result = run(sim, input, "out.jsonl", "--batch-api");
			// then
			assertThat(result.exitCode()).as(result.err()).isZero();
			assertThat(sim.counters().filesUploaded()).isEqualTo(2);
			assertThat(sim.counters().batchesCreated()).isEqualTo(2);
			List<JsonNode> rows = CliFixtures.jsonl(dir.resolve("out.jsonl"));
			assertThat(rows).extracting(r -> r.get("id").asString())
				.containsExactly("m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "m9", "m10", "m11", "m12");
			assertThat(rows).allMatch(r -> r.get("status").asString().equals("ok"));
			assertThat(rows.get(0).get("model").asString()).isEqualTo("kimi-k2-0905-preview");
			assertThat(rows.get(1).get("model").asString()).isEqualTo("kimi-k2.5");
		}
	}

	@Test
	void aFilePartLimitSplitsTheRowsIntoMoreBatches() throws Exception {
		Path input = CliFixtures.csv(dir, 10);
		try (ChatSimulator sim = ChatSimulator.start(quickBatches().build())) {
			CliFixtures.Result result = run(sim, input, "out.jsonl", "--model", "kimi-k2.5", "--batch-api",
					"--batch-max-lines", "4");
			assertThat(result.exitCode()).as(result.err()).isZero();
			assertThat(sim.counters().batchesCreated()).isEqualTo(3);
			assertThat(CliFixtures.jsonl(dir.resolve("out.jsonl"))).extracting(r -> r.get("id").asString())
				.containsExactly("p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8", "p9", "p10");
		}
	}

	@Test
	void badInputUploadsNothing() throws Exception {
		Path input = CliFixtures.csv(dir, 5);
		Path broken = dir.resolve("broken.jsonl");
		Files.writeString(broken, "{\"id\":\"a\",\"prompt\":\"fine\"}\n{\"id\":\"b\",\"prompt\":\n", StandardCharsets.UTF_8);
		try (ChatSimulator sim = ChatSimulator.start(quickBatches().build())) {
			// a setting kimi-k2.5 does not let batch requests change
			CliFixtures.Result temperature = run(sim, input, "t.jsonl", "--model", "kimi-k2.5", "--batch-api",
					"--temperature", "0.3");
			assertThat(temperature.exitCode()).isEqualTo(2);
			assertThat(temperature.err()).contains(input.toString() + ":2:")
				.contains("kimi-k2.5 does not let batch requests set temperature")
				.contains("Nothing was uploaded");
			// a record that cannot be read
			CliFixtures.Result unreadable = run(sim, broken, "u.jsonl", "--model", "gpt-4o-mini", "--batch-api");
			assertThat(unreadable.exitCode()).isEqualTo(2);
			assertThat(unreadable.err()).contains(broken.toString() + ":2");
			// a provider without a Batch API
			CliFixtures.Result acedata = CliFixtures.execute(Map.of("ACEDATA_API_TOKEN", "test-token"), "run", "--provider",
					"acedata-kimi", "--batch-api", "--input", input.toString(), "--output", dir.resolve("a.jsonl").toString(),
					"--state-dir", dir.resolve("a.state").toString());
			assertThat(acedata.exitCode()).isEqualTo(2);
			assertThat(acedata.err()).contains("offers no Batch API");
			assertThat(sim.counters().filesUploaded()).isZero();
			assertThat(sim.counters().batchesCreated()).isZero();
		}
	}

	@Test
	void linesFailedForTheProvidersReasonsAreAnsweredInFollowUpBatches() throws Exception {
		// given: a third of the batch lines fail with 500, seeded
		Path input = CliFixtures.csv(dir, 20);
		try (ChatSimulator sim = ChatSimulator.start(quickBatches().batchRate500(0.3).seed(7).build())) {
			// when
			CliFixtures.Result result = run(sim, input, "out.jsonl", "--model", "kimi-k2.5", "--batch-api");
			// then: every row answered, by more than one batch, each uploaded once
			assertThat(result.exitCode()).as(result.err()).isZero();
			List<JsonNode> rows = CliFixtures.jsonl(dir.resolve("out.jsonl"));
			assertThat(rows).hasSize(20).allMatch(r -> r.get("status").asString().equals("ok"));
			assertThat(sim.counters().batchesCreated()).isGreaterThan(1);
			assertThat(sim.counters().filesUploaded()).isEqualTo(sim.counters().batchesCreated());
			assertThat(rows).anyMatch(r -> r.get("attempts").asInt() > 1);
		}
	}

	@Test
	void anExpiredBatchsAnswersAreKeptAndTheRestIsSentLiveWithTheLiveFallback() throws Exception {
		// given: batches expire part-way through
		Path input = CliFixtures.csv(dir, 20);
		try (ChatSimulator sim = ChatSimulator.start(expiringBatches().build())) {
			// when
			CliFixtures.Result result = run(sim, input, "out.jsonl", "--model", "kimi-k2.5", "--batch-api",
					"--max-retries", "0", "--batch-fallback", "live");
			// then: every row answered; only the rows the batch did not answer were sent live
			assertThat(result.exitCode()).as(result.err()).isZero();
			List<JsonNode> rows = CliFixtures.jsonl(dir.resolve("out.jsonl"));
			assertThat(rows).hasSize(20).allMatch(r -> r.get("status").asString().equals("ok"));
			assertThat(sim.counters().batchesCreated()).isEqualTo(1);
			assertThat(sim.counters().status(200)).isGreaterThan(0).isLessThan(20);
		}
	}

	@Test
	void rowsSentLiveAfterAnExpiredBatchCostTheLivePriceAndTheBatchsAnswersTheBatchPrice() throws Exception {
		// given: batches expire part-way through, and a live run's rows to compare with
		Path input = CliFixtures.csv(dir, 20);
		try (ChatSimulator sim = ChatSimulator.start(expiringBatches().build())) {
			CliFixtures.Result live = run(sim, input, "live.jsonl", "--model", "kimi-k2.5");
			assertThat(live.exitCode()).as(live.err()).isZero();
			long liveRunRequests = sim.counters().status(200);
			// when
			CliFixtures.Result result = run(sim, input, "out.jsonl", "--model", "kimi-k2.5", "--batch-api",
					"--max-retries", "0", "--batch-fallback", "live");
			// then: each row costs what it was answered at, kimi-k2.5's live price or 60 % of it through the batch
			assertThat(result.exitCode()).as(result.err()).isZero();
			long sentLive = sim.counters().status(200) - liveRunRequests;
			List<JsonNode> liveRows = CliFixtures.jsonl(dir.resolve("live.jsonl"));
			List<JsonNode> rows = CliFixtures.jsonl(dir.resolve("out.jsonl"));
			assertThat(rows).hasSize(20);
			java.math.BigDecimal total = java.math.BigDecimal.ZERO;
			int atLivePrice = 0;
			int atBatchPrice = 0;
			for (int i = 0; i < 20; i++) {
				JsonNode row = rows.get(i);
				assertThat(row.get("answer")).as("row %d", i + 1).isEqualTo(liveRows.get(i).get("answer"));
				assertThat(row.get("total_tokens")).as("row %d", i + 1).isEqualTo(liveRows.get(i).get("total_tokens"));
				java.math.BigDecimal cost = row.get("cost_usd").decimalValue();
				java.math.BigDecimal liveCost = liveRows.get(i).get("cost_usd").decimalValue();
				assertThat(liveCost).isPositive();
				if (cost.compareTo(liveCost) == 0) {
					atLivePrice++;
				}
				else {
					assertThat(cost.doubleValue()).as("row %d", i + 1).isCloseTo(liveCost.doubleValue() * 0.6, within(1e-9));
					atBatchPrice++;
				}
				total = total.add(cost);
			}
			assertThat(sentLive).isPositive().isLessThan(20);
			assertThat(atLivePrice).as("rows at the live price").isEqualTo(sentLive);
			assertThat(atBatchPrice).as("rows at the batch price").isEqualTo(20 - sentLive);
			JsonNode summary = CliFixtures.JSON.readTree(dir.resolve("out.jsonl.summary.json").toFile());
			assertThat(summary.get("cost_usd").decimalValue()).isEqualByComparingTo(total);
		}
	}

	@Test
	void anExpiredBatchsUnansweredLinesAreAnsweredByAFollowUpBatch() throws Exception {
		// given: the first batch expires part-way through, the follow-up batch runs to its end
		Path input = CliFixtures.csv(dir, 20);
		try (ChatSimulator sim = ChatSimulator.start(expiringBatches().batchExpireFirst(1).build())) {
			CliFixtures.Result live = run(sim, input, "live.jsonl", "--model", "kimi-k2.5");
			assertThat(live.exitCode()).as(live.err()).isZero();
			long liveRunRequests = sim.counters().status(200);
			// when
			CliFixtures.Result result = run(sim, input, "out.jsonl", "--model", "kimi-k2.5", "--batch-api");
			// then: one row per record, in order, equal to the live run's, from two batches and nothing sent live
			assertThat(result.exitCode()).as(result.err()).isZero();
			List<JsonNode> liveRows = CliFixtures.jsonl(dir.resolve("live.jsonl"));
			List<JsonNode> rows = CliFixtures.jsonl(dir.resolve("out.jsonl"));
			assertThat(rows).hasSize(20);
			for (int i = 0; i < 20; i++) {
				assertThat(rows.get(i).get("id").asString()).isEqualTo("p" + (i + 1));
			}
			assertSameAsLive(rows, liveRows, 20);
			assertThat(sim.counters().batchesCreated()).isEqualTo(2);
			assertThat(sim.counters().filesUploaded()).isEqualTo(2);
			assertThat(sim.counters().status(200)).isEqualTo(liveRunRequests);
			// the first batch answered part of the rows, the follow-up the rest
			assertThat(rows).anyMatch(r -> r.get("attempts").asInt() == 1).anyMatch(r -> r.get("attempts").asInt() > 1);
		}
	}

	@Test
	void withoutTheFallbackRowsAnExpiredBatchDidNotAnswerAreFailedRowsAndTheRunExits3() throws Exception {
		Path input = CliFixtures.csv(dir, 20);
		try (ChatSimulator sim = ChatSimulator.start(expiringBatches().build())) {
			CliFixtures.Result result = run(sim, input, "out.jsonl", "--model", "kimi-k2.5", "--batch-api",
					"--max-retries", "0");
			assertThat(result.exitCode()).as(result.err()).isEqualTo(3);
			List<JsonNode> rows = CliFixtures.jsonl(dir.resolve("out.jsonl"));
			assertThat(rows).hasSize(20);
			assertThat(rows).anyMatch(r -> r.get("status").asString().equals("ok"));
			assertThat(rows).filteredOn(r -> r.get("status").asString().equals("failed")).isNotEmpty()
				.allMatch(r -> r.get("error").asString().contains("batch_expired"));
			assertThat(sim.counters().status(200)).isZero();
		}
	}

	@Test
	void rowsTheProviderRefusesForThemselvesAreFailedRows() throws Exception {
		Path input = dir.resolve("refused.csv");
		Files.writeString(input, "id,prompt\na,Hello\nb,Please fail [[sim:status=400]]\nc,Bye\n", StandardCharsets.UTF_8);
		try (ChatSimulator sim = ChatSimulator.start(quickBatches().build())) {
			CliFixtures.Result result = run(sim, input, "out.jsonl", "--model", "kimi-k2.5", "--batch-api");
			assertThat(result.exitCode()).as(result.err()).isEqualTo(3);
			List<JsonNode> rows = CliFixtures.jsonl(dir.resolve("out.jsonl"));
			assertThat(rows).extracting(r -> r.get("status").asString()).containsExactly("ok", "failed", "ok");
			// refused for itself: no follow-up batch
			assertThat(sim.counters().batchesCreated()).isEqualTo(1);
		}
	}

	@Test
	void aBatchThatFailsTheProvidersValidationNamesTheLinesAndTheReasonAndExits2() throws Exception {
		// given: a provider that takes fewer lines a file than the run was told
		Path input = CliFixtures.csv(dir, 5);
		try (ChatSimulator sim = ChatSimulator.start(quickBatches().batchMaxLines(3).build())) {
			// when
			CliFixtures.Result result = run(sim, input, "out.jsonl", "--model", "kimi-k2.5", "--batch-api");
			// then
			assertThat(result.exitCode()).as(result.err()).isEqualTo(2);
			assertThat(result.err()).contains(input + ":5:")
				.contains("the provider refused batch batch_sim000001 (part 1, kimi-k2.5, 5 lines)")
				.contains("line 5 (batch line 4): too_many_lines");
			assertThat(CliFixtures.jsonl(dir.resolve("out.jsonl"))).isEmpty();
			// and: the same command does not submit it again
			CliFixtures.Result again = run(sim, input, "out.jsonl", "--model", "kimi-k2.5", "--batch-api");
			assertThat(again.exitCode()).isEqualTo(2);
			assertThat(sim.counters().batchesCreated()).isEqualTo(1);
			assertThat(sim.counters().filesUploaded()).isEqualTo(1);
		}
	}

	@Test
	void noWaitSubmitsAndExitsZeroAndTheSameCommandCollects() throws Exception {
		Path input = CliFixtures.csv(dir, 8);
		try (ChatSimulator sim = CliFixtures.batchesTaking(Duration.ofSeconds(2))) {
			String[] args = { "--model", "kimi-k2.5", "--batch-api", "--no-wait" };
			List<String> shown = new ArrayList<>(List.of(args));
			CliFixtures.Result submitted = CliFixtures.execute(Map.of(), withoutQuiet(sim, input, shown));
			assertThat(submitted.exitCode()).as(submitted.err()).isZero();
			assertThat(submitted.err()).contains("the batches are submitted");
			assertThat(CliFixtures.jsonl(dir.resolve("out.jsonl"))).isEmpty();
			assertThat(sim.counters().batchesCreated()).isEqualTo(1);
			// when: the same command again, until the batch is done
			org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).until(() -> {
				CliFixtures.Result again = CliFixtures.execute(Map.of(), withoutQuiet(sim, input, shown));
				assertThat(again.exitCode()).as(again.err()).isZero();
				return !CliFixtures.jsonl(dir.resolve("out.jsonl")).isEmpty();
			});
			// then
			assertThat(CliFixtures.jsonl(dir.resolve("out.jsonl"))).hasSize(8)
				.allMatch(r -> r.get("status").asString().equals("ok"));
			assertThat(sim.counters().batchesCreated()).isEqualTo(1);
			assertThat(sim.counters().filesUploaded()).isEqualTo(1);
		}
	}

	private String[] withoutQuiet(ChatSimulator sim, Path input, List<String> extra) {
		return args(sim, input, "out.jsonl", "state", extra);
	}

	static List<JsonNode> rows(Path file) throws IOException {
		return CliFixtures.jsonl(file);
	}
}
