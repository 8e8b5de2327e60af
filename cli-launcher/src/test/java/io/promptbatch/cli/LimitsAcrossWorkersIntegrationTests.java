package io.promptbatch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.promptbatch.simulator.ChatSimulator;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * A run's {@code --concurrency} and {@code --budget-usd} hold for the whole run when its partitions are run by
 * several processes (a manager running partitions itself and two {@code promptbatch worker} processes) on a real
 * PostgreSQL server, where each process on its own would go past them; and three processes each keeping an
 * {@code --rpm} on its own are refused by a server that the shared rate is not ({@link RateAcrossWorkersIntegrationTests}).
 */
class LimitsAcrossWorkersIntegrationTests extends WorkerLimitsBase {

	@Test
	void threeProcessesEachKeepingTheRpmOnItsOwnAreRefusedByTheSameServer() throws Exception {
		// given: the same server, allowing 720 requests a minute (12 in any second)
		try (ChatSimulator sim = rateLimited(720)) {
			// when: three runs of 60 prompts each, one process each, each at --rpm 600 on its own (what each process of a
			// partitioned run would do if the rate were not shared)
			List<CliProcess> logs = new ArrayList<>();
			for (int i = 1; i <= 3; i++) {
				Path own = dir.resolve("run-" + i);
				java.nio.file.Files.createDirectories(own);
				Path input = CliFixtures.csv(own, 60);
				CliProcess run = new CliProcess(dir.resolve("run-" + i + ".log"));
				Process p = run.start(Map.of(), List.of("-Xmx256m"), "run", "--base-url", sim.baseUrl(), "--model",
						"kimi-k2.5", "--rpm", "600", "--input", input.toString(), "--output",
						own.resolve("answers.jsonl").toString(), "--state-dir", own.resolve("state").toString());
				runs.add(p);
				logs.add(run);
			}
			for (int i = 0; i < 3; i++) {
				assertThat(runs.get(i).waitFor(120, TimeUnit.SECONDS)).as(logs.get(i)::log).isTrue();
			}

			// then: together they went past the server's limit: it refused requests
			System.out.printf("limits rpm test: three unshared processes got %d refusals (429) for %d requests%n",
					sim.counters().status(429), sim.counters().requests());
			assertThat(sim.counters().status(429)).as("requests refused by the server's rate limit").isPositive();
		}
	}

	@Test
	void theRunsConcurrencyHoldsAcrossThreeProcesses() throws Exception {
		// given: a server whose answers take about 60 ms, two workers, and 300 prompts
		int rows = 300;
		Path input = CliFixtures.csv(dir, rows);
		Path output = dir.resolve("answers.jsonl");
		try (ChatSimulator sim = CliFixtures.simulator(Duration.ofMillis(60), 0.3)) {
			twoWorkers();

			// when: the run, at --concurrency 6, is split into three partitions run by three processes
			CliFixtures.Result result = manager(sim, input, output, "--concurrency", "6");

			// then: the server never saw more than 6 requests in flight at once, and the output is exact
			assertThat(result.exitCode()).as(result.err()).isZero();
			CliFixtures.assertExact(output, rows);
			System.out.printf("limits concurrency test: peak in flight %d for --concurrency 6 across three processes, "
					+ "mean %.2f%n", sim.counters().peakInFlight(), sim.counters().meanInFlightWhileSending());
			assertThat(sim.counters().peakInFlight()).isBetween(4, 6);
			assertThat(result.err()).contains("partitions: 3, run by 3 workers");
		}
	}

	@Test
	void theRunsBudgetHoldsAcrossThreeProcessesAndStopsTheRunAsOnOneMachine() throws Exception {
		// given: 300 prompts, a budget for a part of them, and the same run on one machine
		int rows = 300;
		Path input = CliFixtures.csv(dir, rows);
		String budget = "0.01";
		try (ChatSimulator sim = CliFixtures.simulator(Duration.ofMillis(20), 0.3)) {
			Path alone = dir.resolve("alone.jsonl");
			CliFixtures.Result single = CliFixtures.execute(Map.of(), "run", "--base-url", sim.baseUrl(), "--model",
					"kimi-k2.5", "--max-tokens", "50", "--budget-usd", budget, "--input", input.toString(), "--output",
					alone.toString(), "--state-dir", dir.resolve("alone").toString());
			twoWorkers();

			// when: the run is split into three partitions run by three processes
			Path output = dir.resolve("answers.jsonl");
			CliFixtures.Result result = manager(sim, input, output, "--max-tokens", "50", "--budget-usd", budget,
					"--concurrency", "4");

			// then: it stops at its budget as the run on one machine does: the same exit code and the same sentence
			System.out.printf("limits budget test: one machine: exit %d%n%s%nthree processes: exit %d%n%s%n",
					single.exitCode(), single.err(), result.exitCode(), result.err());
			assertThat(single.err()).contains("the budget of $" + budget + " is reached");
			assertThat(result.exitCode()).as(result.err()).isEqualTo(single.exitCode()).isEqualTo(1);
			assertThat(result.err()).contains("the budget of $" + budget + " is reached")
				.contains("run the same command with a higher --budget-usd to continue");
			// and: the three processes together spent no more than the budget (each request's worst case was reserved
			// before it was sent), and close to it: each on its own would have spent up to the whole budget
			JsonNode summary = CliFixtures.JSON.readTree(dir.resolve("answers.jsonl.summary.json").toFile());
			java.math.BigDecimal spent = summary.get("cost_usd").decimalValue();
			System.out.printf("limits budget test: three processes spent $%s of $%s in %d rows (%d requests)%n",
					spent.toPlainString(), budget, summary.get("rows").asLong(), sim.counters().requests());
			assertThat(spent).isLessThanOrEqualTo(new java.math.BigDecimal(budget))
				.isGreaterThan(new java.math.BigDecimal("0.007"));
			assertThat(result.err()).contains("partitions: 3, run by 3 workers; 0 taken over");
			assertThat(summary.get("status").asString()).isEqualTo("stopped");
		}
	}

}
