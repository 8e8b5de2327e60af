package io.promptbatch.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.promptbatch.simulator.ChatSimulator;
import io.promptbatch.simulator.Latency;
import io.promptbatch.simulator.SimulatedAnswers;
import io.promptbatch.simulator.SimulatorConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.batch.core.BatchStatus;
import tools.jackson.databind.JsonNode;

class PromptBatchJobIntegrationTests {

	@TempDir
	Path dir;

	@RegisterExtension
	final JobApplication app = new JobApplication(() -> dir.resolve("state"), Map.of("SIM_KEY", "right-key"));

	private RunSpec spec(ChatSimulator sim, Path input, Path output, int concurrency) {
		return RunSpec.builder(input, output, sim.baseUrl(), "kimi-k2.5")
			.concurrency(concurrency)
			.retries(6, Duration.ofSeconds(5))
			.build();
	}

	@Test
	void answersEveryRowInInputOrderWithTheServersAnswerAndUsage() throws Exception {
		// given
		int n = 2000;
		Path input = Inputs.csv(dir, n);
		Path output = dir.resolve("answers.jsonl");
		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder()
			.latency(Latency.lognormal(Duration.ofMillis(5), 1.0))
			.workerThreads(16)
			.build())) {
			// when
			RunOutcome outcome = app.launcher().run(spec(sim, input, output, 32), n, List.of("group"));

			// then
			assertThat(outcome.status()).isEqualTo(BatchStatus.COMPLETED);
			assertThat(outcome.exitCode()).isZero();
			List<JsonNode> rows = Inputs.jsonl(output);
			assertThat(rows).hasSize(n);
			for (int i = 1; i <= n; i++) {
				JsonNode row = rows.get(i - 1);
				String prompt = Inputs.promptOf(i);
				assertThat(row.get("id").asString()).isEqualTo("p" + i);
				assertThat(row.get("status").asString()).isEqualTo("ok");
				assertThat(row.get("answer").asString()).isEqualTo(SimulatedAnswers.answerFor(prompt));
				long promptTokens = SimulatedAnswers.promptTokensFor(List.of(prompt));
				long completionTokens = SimulatedAnswers.completionTokensFor(SimulatedAnswers.answerFor(prompt));
				assertThat(row.get("prompt_tokens").asLong()).isEqualTo(promptTokens);
				assertThat(row.get("completion_tokens").asLong()).isEqualTo(completionTokens);
				assertThat(row.get("total_tokens").asLong()).isEqualTo(promptTokens + completionTokens);
				assertThat(row.get("group").asString()).isEqualTo("g" + (i % 7));
				assertThat(row.get("cost_usd").decimalValue()).isPositive();
			}
			assertThat(sim.counters().peakInFlight()).isLessThanOrEqualTo(32);
			assertThat(sim.counters().requests()).isEqualTo(n);
			assertThat(outcome.totals().ok()).isEqualTo(n);
			assertThat(outcome.totals().promptTokens())
				.isEqualTo(rows.stream().mapToLong(r -> r.get("prompt_tokens").asLong()).sum());
		}
	}

	@Test
	void retriesRateLimitsAndServerErrorsUntilEveryRowIsOk() throws Exception {
		// given
		int n = 1000;
		Path input = Inputs.csv(dir, n);
		Path output = dir.resolve("answers.jsonl");
		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder()
			.latency(Latency.fixed(Duration.ofMillis(2)))
			.rate429(0.10, 1)
			.rate500(0.05)
			.seed(7)
			.build())) {
			// when
			RunOutcome outcome = app.launcher().run(spec(sim, input, output, 32), n, List.of("group"));

			// then
			assertThat(outcome.exitCode()).isZero();
			List<JsonNode> rows = Inputs.jsonl(output);
			assertThat(rows).hasSize(n);
			assertThat(rows).allSatisfy(r -> assertThat(r.get("status").asString()).isEqualTo("ok"));
			assertThat(sim.counters().status(429)).isGreaterThan(50);
			assertThat(sim.counters().status(500)).isGreaterThan(20);
			assertThat(sim.counters().status(200)).isEqualTo(n);
			long retried = rows.stream().filter(r -> r.get("attempts").asInt() > 1).count();
			assertThat(retried).isGreaterThan(50);
			assertThat(outcome.totals().retries())
				.isEqualTo(rows.stream().mapToLong(r -> r.get("attempts").asLong() - 1).sum());
		}
	}

	@Test
	void failsMidFileThenResumesWithoutDuplicateRowsOrPayingTwice() throws Exception {
		// given: the server starts rejecting every request (403: no balance) after 300 requests
		int n = 1000;
		Path input = Inputs.csv(dir, n);
		Path output = dir.resolve("answers.csv");
		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder()
			.latency(Latency.fixed(Duration.ofMillis(3)))
			.build())) {
			sim.failFrom(301, 403);
			RunSpec spec = spec(sim, input, output, 8).toBuilder().chunkSize(50).build();

			// when
			RunOutcome first = app.launcher().run(spec, n, List.of("group"));

			// then: the run stopped, resumably, with the rows before it committed
			assertThat(first.status()).isEqualTo(BatchStatus.FAILED);
			assertThat(first.exitCode()).isEqualTo(1);
			assertThat(first.failureMessage()).contains("403").contains("balance");
			assertThat(sim.counters().requests()).isLessThan(300 + 8 + 1);
			long partial = csvRecords(output);
			assertThat(partial).isGreaterThan(0).isLessThanOrEqualTo(300);

			// when: the account is topped up and the same command runs again
			sim.recover();
			RunOutcome second = app.launcher().run(spec, n, List.of("group"));

			// then
			assertThat(second.status()).isEqualTo(BatchStatus.COMPLETED);
			assertThat(second.instanceId()).isEqualTo(first.instanceId());
			assertThat(csvRecords(output)).isEqualTo(n);
			List<String> ids = ids(output);
			assertThat(ids).hasSize(n).doesNotHaveDuplicates();
			assertThat(ids.get(0)).isEqualTo("p1");
			assertThat(ids.get(n - 1)).isEqualTo("p" + n);
			// no answer was paid for twice: every answer that arrived before the stop was journaled
			assertThat(sim.counters().status(200)).isEqualTo(n);
			assertThat(second.totals().ok()).isEqualTo(n);

			// and: a completed run is not run again
			long requestsBefore = sim.counters().requests();
			RunOutcome third = app.launcher().run(spec, n, List.of("group"));
			assertThat(third.alreadyComplete()).isTrue();
			assertThat(third.exitCode()).isZero();
			assertThat(sim.counters().requests()).isEqualTo(requestsBefore);
		}
	}

	@Test
	void wrongKeyStopsTheRunWithinAFewRequestsAndNamesTheVariableNotTheKey() throws Exception {
		// given
		int n = 500;
		Path input = Inputs.csv(dir, n);
		Path output = dir.resolve("answers.jsonl");
		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder()
			.latency(Latency.fixed(Duration.ofMillis(5)))
			.requiredKey("another-key")
			.build())) {
			RunSpec spec = spec(sim, input, output, 4).toBuilder().keyVariable("SIM_KEY").build();

			// when
			RunOutcome outcome = app.launcher().run(spec, n, List.of("group"));

			// then
			assertThat(outcome.status()).isEqualTo(BatchStatus.FAILED);
			assertThat(outcome.exitCode()).isEqualTo(1);
			assertThat(sim.counters().requests()).isLessThanOrEqualTo(4);
			assertThat(sim.counters().status(401)).isEqualTo(sim.counters().requests());
			assertThat(outcome.failureMessage()).contains("401").contains("SIM_KEY").doesNotContain("right-key");
			assertThat(Inputs.jsonl(output)).isEmpty();
		}
	}

	private static long csvRecords(Path csv) throws Exception {
		return ids(csv).size();
	}

	private static List<String> ids(Path csv) throws Exception {
		if (!Files.exists(csv)) {
			return List.of();
		}
		try (var parser = org.apache.commons.csv.CSVFormat.RFC4180.builder()
			.setHeader()
			.setSkipHeaderRecord(true)
			.get()
			.parse(Files.newBufferedReader(csv))) {
			return parser.stream().map(r -> r.get("id")).collect(Collectors.toList());
		}
	}

	@Test
	void aHostileProviderStillGivesEveryRowExactlyOnce() throws Exception {
		// given: 20% 429, 5% 500, 2% connections cut mid-answer, 1% requests never answered
		int n = 1000;
		Path input = Inputs.csv(dir, n);
		Path output = dir.resolve("answers.jsonl");
		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder()
			.latency(Latency.lognormal(Duration.ofMillis(5), 0.5))
			.rate429(0.20, 1)
			.rate500(0.05)
			.rateReset(0.02)
			.rateHang(0.01)
			.workerThreads(16)
			.seed(11)
			.build())) {
			RunSpec spec = spec(sim, input, output, 64).toBuilder().retries(10, Duration.ofSeconds(1)).build();

			// when
			RunOutcome outcome = app.launcher().run(spec, n, List.of("group"));

			// then
			assertThat(outcome.exitCode()).as(outcome.failureMessage()).isZero();
			List<JsonNode> rows = Inputs.jsonl(output);
			assertThat(rows).hasSize(n);
			for (int i = 1; i <= n; i++) {
				assertThat(rows.get(i - 1).get("id").asString()).isEqualTo("p" + i);
				assertThat(rows.get(i - 1).get("answer").asString())
					.isEqualTo(SimulatedAnswers.answerFor(Inputs.promptOf(i)));
			}
			assertThat(sim.counters().status(200)).isEqualTo(n);
			assertThat(sim.counters().status(429)).isGreaterThan(100);
			assertThat(sim.counters().resets()).isGreaterThan(5);
			assertThat(sim.counters().hangs()).isGreaterThan(2);
		}
	}

	@Test
	void rewritesAMissingOrTruncatedOutputFromTheJournalWithoutPayingAgain() throws Exception {
		// given: a run stopped half-way, then its output removed
		int n = 600;
		Path input = Inputs.csv(dir, n);
		Path output = dir.resolve("answers.jsonl");
		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder()
			.latency(Latency.fixed(Duration.ofMillis(2)))
			.build())) {
			sim.failFrom(301, 403);
			RunSpec spec = spec(sim, input, output, 8).toBuilder().chunkSize(50).build();
			RunOutcome first = app.launcher().run(spec, n, List.of("group"));
			assertThat(first.exitCode()).isEqualTo(1);
			assertThat(Inputs.jsonl(output)).isNotEmpty();
			Files.delete(output);
			sim.recover();

			// when
			RunOutcome second = app.launcher().run(spec, n, List.of("group"));

			// then
			assertThat(second.exitCode()).as(second.failureMessage()).isZero();
			List<JsonNode> rows = Inputs.jsonl(output);
			assertThat(rows).hasSize(n);
			assertThat(rows.get(0).get("id").asString()).isEqualTo("p1");
			assertThat(rows).extracting(r -> r.get("id").asString()).doesNotHaveDuplicates();
			assertThat(sim.counters().status(200)).isEqualTo(n);
			assertThat(second.totals().ok()).isEqualTo(n);
		}
	}

	@Test
	void failsResumablyWhenTheOutputIsRemovedDuringTheRun() throws Exception {
		// given
		int n = 400;
		Path input = Inputs.csv(dir, n);
		Path output = dir.resolve("answers.jsonl");
		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder()
			.latency(Latency.fixed(Duration.ofMillis(40)))
			.build())) {
			RunSpec spec = spec(sim, input, output, 4).toBuilder().chunkSize(10).build();
			Thread remover = new Thread(() -> {
				try {
					await().atMost(Duration.ofSeconds(60))
						.pollInterval(Duration.ofMillis(5))
						.dontCatchUncaughtExceptions()
						.until(() -> Files.exists(output) && Files.size(output) > 0);
					Files.delete(output);
				}
				catch (Exception e) {
					throw new IllegalStateException(e);
				}
			});
			remover.start();

			// when
			RunOutcome first = app.launcher().run(spec, n, List.of("group"));
			remover.join();

			// then
			assertThat(first.exitCode()).isEqualTo(1);
			assertThat(first.failureMessage()).contains("was removed during the run");

			// and when: the same command again
			RunOutcome second = app.launcher().run(spec, n, List.of("group"));

			// then
			assertThat(second.exitCode()).as(second.failureMessage()).isZero();
			assertThat(Inputs.jsonl(output)).hasSize(n);
			assertThat(sim.counters().status(200)).isEqualTo(n);
		}
	}

	@Test
	void neverSpendsMoreThanTheBudgetAndContinuesWithAHigherOne() throws Exception {
		// given
		int n = 500;
		Path input = Inputs.csv(dir, n);
		Path output = dir.resolve("answers.jsonl");
		java.math.BigDecimal budget = new java.math.BigDecimal("0.01");
		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder()
			.latency(Latency.fixed(Duration.ofMillis(2)))
			.build())) {
			RunSpec spec = spec(sim, input, output, 16).toBuilder().chunkSize(20).budgetUsd(budget).maxTokens(20).build();

			// when
			RunOutcome first = app.launcher().run(spec, n, List.of("group"));

			// then: stopped, resumably, within the budget
			assertThat(first.status()).isEqualTo(BatchStatus.STOPPED);
			assertThat(first.exitCode()).isEqualTo(1);
			assertThat(first.failureMessage()).contains("the budget of $0.01 is reached")
				.contains("higher --budget-usd");
			List<JsonNode> rows = Inputs.jsonl(output);
			java.math.BigDecimal spent = rows.stream()
				.map(r -> r.get("cost_usd").decimalValue())
				.reduce(java.math.BigDecimal.ZERO, java.math.BigDecimal::add);
			assertThat(rows.size()).isBetween(20, n - 1);
			assertThat(spent).isLessThanOrEqualTo(budget);
			assertThat(spent).isGreaterThan(budget.multiply(new java.math.BigDecimal("0.4")));
			assertThat(sim.counters().status(200)).isEqualTo(rows.size());

			// when: the same command with a higher budget
			RunOutcome second = app.launcher().run(spec.toBuilder().budgetUsd(java.math.BigDecimal.ONE).build(), n, List.of("group"));

			// then
			assertThat(second.exitCode()).as(second.failureMessage()).isZero();
			assertThat(Inputs.jsonl(output)).hasSize(n);
			assertThat(sim.counters().status(200)).isEqualTo(n);
			assertThat(second.totals().costUsd()).isLessThanOrEqualTo(java.math.BigDecimal.ONE);
		}
	}

	@Test
	void streamedAndPlainRunsOfTheSamePromptsGiveIdenticalRows() throws Exception {
		int n = 300;
		Path input = Inputs.csv(dir, n);
		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder()
			.latency(Latency.fixed(Duration.ofMillis(2)))
			.build())) {
			RunSpec plain = RunSpec.builder(input, dir.resolve("plain.jsonl"), sim.baseUrl(), "kimi-k2-thinking")
				.concurrency(16)
				.build();
			RunSpec streamed = RunSpec.builder(input, dir.resolve("streamed.jsonl"), sim.baseUrl(), "kimi-k2-thinking")
				.concurrency(16)
				.stream(true)
				.cache(CacheMode.BYPASS)
				.build();

			assertThat(app.launcher().run(plain, n, List.of("group")).exitCode()).isZero();
			assertThat(app.launcher().run(streamed, n, List.of("group")).exitCode()).isZero();

			List<JsonNode> a = Inputs.jsonl(dir.resolve("plain.jsonl"));
			List<JsonNode> b = Inputs.jsonl(dir.resolve("streamed.jsonl"));
			assertThat(b).hasSize(n);
			for (int i = 0; i < n; i++) {
				for (String field : List.of("id", "answer", "reasoning", "finish_reason", "prompt_tokens",
						"completion_tokens", "total_tokens", "cost_usd")) {
					assertThat(b.get(i).get(field)).as(field + " of row " + (i + 1)).isEqualTo(a.get(i).get(field));
				}
			}
			assertThat(b.get(0).get("reasoning").asString()).isNotBlank();
			assertThat(sim.counters().status(200)).isEqualTo(2L * n);
		}
	}

	@Test
	void autoConcurrencyFindsAnUnknownInFlightLimitWithFew429s() throws Exception {
		// given: a provider that answers 429 above 8 requests in flight, 50 ms each (160 requests/s at best)
		int n = 1200;
		Path input = Inputs.csv(dir, n);
		Path output = dir.resolve("answers.jsonl");
		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder()
			.latency(Latency.fixed(Duration.ofMillis(50)))
			.maxInFlight(8)
			.workerThreads(16)
			.build())) {
			// the same work at exactly the provider's limit, for comparison
			long fixedStart = System.nanoTime();
			RunSpec fixed = RunSpec.builder(input, dir.resolve("fixed.jsonl"), sim.baseUrl(), "kimi-k2.5")
				.concurrency(8)
				.build();
			assertThat(app.launcher().run(fixed, n, List.of("group")).exitCode()).isZero();
			double fixedSeconds = (System.nanoTime() - fixedStart) / 1e9;
			sim.counters().clear();
			RunSpec spec = RunSpec.builder(input, output, sim.baseUrl(), "kimi-k2.5")
				.retries(8, Duration.ofSeconds(5))
				.autoConcurrency(256)
				.cache(CacheMode.BYPASS)
				.build();
			long start = System.nanoTime();

			// when
			RunOutcome outcome = app.launcher().run(spec, n, List.of("group"));
			double seconds = (System.nanoTime() - start) / 1e9;

			// then
			assertThat(outcome.exitCode()).as(outcome.failureMessage()).isZero();
			assertThat(Inputs.jsonl(output)).hasSize(n);
			double share429 = (double) sim.counters().status(429) / sim.counters().requests();
			System.out.printf("auto concurrency: %d rows in %.2f s = %.1f rows/s (%.0f%% of 160; fixed 8: %.2f s, "
					+ "auto/fixed throughput %.2f), 429s %.2f%% of %d requests%n", n, seconds, n / seconds,
					n / seconds / 160 * 100, fixedSeconds, fixedSeconds / seconds, share429 * 100, sim.counters().requests());
			assertThat(share429).isLessThan(0.05);
			assertThat(sim.counters().peakInFlight()).isGreaterThanOrEqualTo(8);
		}
	}
}
