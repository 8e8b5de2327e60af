package io.promptbatch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.promptbatch.simulator.ChatSimulator;
import io.promptbatch.simulator.Latency;
import io.promptbatch.simulator.SimulatorConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * A run's {@code --rpm}, {@code --concurrency} and {@code --budget-usd} hold for the whole run when its partitions
 * are run by several processes (a manager running partitions itself and two {@code promptbatch worker} processes) on
 * a real PostgreSQL server, where each process on its own would go past them.
 */
class LimitsAcrossWorkersIntegrationTests {

	/**
	 * The lease of a partition: well above the time between two commits of a partition at a third of the run's
	 * pace, so that no partition is taken over (not what these tests are about).
	 */
	private static final String LEASE = "10s";

	@TempDir
	Path dir;

	private WorkerProcesses fleet;

	private String url;

	/** Runs started as processes of their own (not workers), ended after each test. */
	private final List<Process> runs = new ArrayList<>();

	@BeforeEach
	void database() {
		fleet = new WorkerProcesses(dir);
		url = fleet.url;
	}

	@AfterEach
	void stopProcesses() throws Exception {
		fleet.stop();
		runs.forEach(Process::destroyForcibly);
	}

	/** Starts two worker processes and waits until each takes partitions. */
	private void twoWorkers() throws Exception {
		fleet.start(2, "--state-db-lease", LEASE);
	}

	/** The manager, in this process, running one of the run's three partitions itself. */
	private CliFixtures.Result manager(ChatSimulator sim, Path input, Path output, String... limits) {
		List<String> args = new ArrayList<>(List.of("run", "--base-url", sim.baseUrl(), "--model", "kimi-k2.5",
				"--chunk-size", "5", "--input", input.toString(), "--output", output.toString(), "--state-dir",
				dir.resolve("manager").toString(), "--state-db", url, "--state-db-lease", LEASE, "--partitions", "3"));
		args.addAll(List.of(limits));
		return CliFixtures.execute(fleet.login(), args.toArray(String[]::new));
	}

	/** A server that refuses (429) more than {@code rpm / 60} requests in any rolling second. */
	private static ChatSimulator rateLimited(int rpm) throws Exception {
		return ChatSimulator.start(SimulatorConfig.builder()
			.latency(Latency.lognormal(Duration.ofMillis(20), 0.3))
			.requestsPerMinute(rpm)
			.workerThreads(8)
			.build());
	}

	@Test
	void theRunsRpmHoldsAcrossThreeProcessesAgainstAServerLimitOnlyTwentyPercentAboveIt() throws Exception {
		// given: a server allowing 720 requests a minute (12 in any second), two workers, and 150 prompts
		int rows = 150;
		Path input = CliFixtures.csv(dir, rows);
		Path output = dir.resolve("answers.jsonl");
		try (ChatSimulator sim = rateLimited(720)) {
			twoWorkers();

			// when: the run, at --rpm 600, is split into three partitions run by the manager and the two workers
			long start = System.nanoTime();
			CliFixtures.Result result = manager(sim, input, output, "--rpm", "600", "--concurrency", "8");
			long millis = (System.nanoTime() - start) / 1_000_000;

			// then: the server refused (nearly) nothing, saw one request per row and one per refusal, and the output is
			// exact. At most one refusal, not zero: the pacing is the client's, and a stall of a process (or of this
			// test's server, in this JVM with the manager) longer than a fifth of a second between a request's turn and
			// its arrival can bunch two turns into one of the server's seconds; on a loaded 2-core machine that cost 1
			// refused request of 151 in two of five runs (0 in the others), against 166 to 230 refusals for the same
			// three processes each keeping the rate on its own (the test below)
			System.out.printf("limits rpm test: server saw %d requests, %d answered 200, %d refused 429%n%s%n",
					sim.counters().requests(), sim.counters().status(200), sim.counters().status(429), result.err());
			assertThat(result.exitCode()).as(result.err()).isZero();
			long refused = sim.counters().status(429);
			assertThat(refused).as("requests refused by the server's rate limit").isLessThanOrEqualTo(1);
			assertThat(sim.counters().requests()).isEqualTo(rows + refused);
			CliFixtures.assertExact(output, rows);
			// and: the three processes together kept to 600 a minute: 150 requests, evenly spaced, take about 15 s
			System.out.printf("limits rpm test: %d rows at --rpm 600 in %d ms across three processes%n", rows, millis);
			assertThat(sim.counters().sendingMillis()).isGreaterThan(14_000);
			assertThat(result.err()).contains("partitions: 3, run by 3 workers; 0 taken over");
		}
	}

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
