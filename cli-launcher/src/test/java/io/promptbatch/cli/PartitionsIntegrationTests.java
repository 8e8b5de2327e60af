package io.promptbatch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.promptbatch.simulator.ChatSimulator;
import io.promptbatch.simulator.SimulatorConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code run --partitions N} with {@code promptbatch worker} processes on a real PostgreSQL server: one output in
 * input order from partitions run by several processes, partitions waiting for a worker, a worker that exits when
 * idle, and what is refused before any request.
 */
class PartitionsIntegrationTests extends PartitionFleetBase {

	@Test
	void aManagerAndTwoWorkerProcessesWriteOneOutputInInputOrder() throws Exception {
		// given: two worker processes and 600 prompts
		int rows = 600;
		Path input = CliFixtures.csv(dir, rows);
		Path output = dir.resolve("answers.jsonl");
		try (ChatSimulator sim = CliFixtures.simulator(Duration.ofMillis(15), 0.3)) {
			long t0 = System.nanoTime();
			workers(2, 8);
			System.out.printf("partitions test: workers ready after %d ms%n", (System.nanoTime() - t0) / 1_000_000);

			// when: the manager splits the run into 8 partitions and runs none itself
			long t1 = System.nanoTime();
			CliFixtures.Result result = manager(sim, input, output, 8, "--no-local-worker", "--progress-interval", "1s");
			System.out.printf("partitions test: manager took %d ms%n", (System.nanoTime() - t1) / 1_000_000);

			// then: one output, one row per record in order, each the answer to its own prompt, one request per row
			assertThat(result.exitCode()).as(result.err()).isZero();
			CliFixtures.assertExact(output, rows);
			assertThat(sim.counters().requests()).isEqualTo(rows);
			// and: both workers ran partitions, and the part files are gone
			Map<String, String> by = completedBy();
			assertThat(by).hasSize(8);
			assertThat(new java.util.HashSet<>(by.values())).hasSize(2)
				.containsExactlyInAnyOrder("(pid " + fleet.get(0).pid() + ")", "(pid " + fleet.get(1).pid() + ")");
			try (var files = java.nio.file.Files.list(dir)) {
				assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.contains(".part-"));
			}
			// and: the manager, running no partition itself, showed the rows the workers committed as they went
			assertThat(result.err()).containsPattern("progress: [1-9]\\d*/600 rows");
		}
	}

	@Test
	void sixtyFourPartitionsCompleteBetweenTheManagersOwnWorkerAndAWorkerProcess() throws Exception {
		// given: one worker process, and a manager that also runs partitions itself
		int rows = 640;
		Path input = CliFixtures.csv(dir, rows);
		Path output = dir.resolve("answers.jsonl");
		try (ChatSimulator sim = CliFixtures.simulator(Duration.ofMillis(5), 0.3)) {
			workers(1, 8);

			// when: the run is split into 64 partitions
			CliFixtures.Result result = manager(sim, input, output, 64);

			// then: every partition completed (none left waiting), and the output is exact
			assertThat(result.exitCode()).as(result.err()).isZero();
			CliFixtures.assertExact(output, rows);
			assertThat(sim.counters().requests()).isEqualTo(rows);
			Map<String, String> by = completedBy();
			assertThat(by).hasSize(64);
			assertThat(result.err()).contains("partitions: 64, run by 2 workers; 0 taken over");
		}
	}

	@Test
	void aRunNoWorkerTakesSaysSoAfterTheLeaseAndCompletesOnceAWorkerStarts() throws Exception {
		// given: a manager that runs no partition itself, a lease of 2 s, and no worker
		int rows = 40;
		Path input = CliFixtures.csv(dir, rows);
		Path output = dir.resolve("answers.jsonl");
		Path managerLog = dir.resolve("manager").resolve("promptbatch.log");
		try (ChatSimulator sim = CliFixtures.simulator(Duration.ofMillis(5), 0.3)) {
			java.util.concurrent.CompletableFuture<CliFixtures.Result> run = inBackground(
					() -> manager(sim, input, output, 2, "--no-local-worker", "--state-db-lease", "2s"));

			// when: no worker takes its partitions for longer than the lease
			org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60))
				.until(() -> java.nio.file.Files.exists(managerLog) && java.nio.file.Files.readString(managerLog)
					.contains("No worker has taken a partition of this run for 2 s: start one"));
			assertThat(run).isNotDone();
			// and: then a worker starts
			workers(1, 4);

			// then: the run completes, exactly
			CliFixtures.Result result = run.get(120, TimeUnit.SECONDS);
			assertThat(result.exitCode()).as(result.err()).isZero();
			CliFixtures.assertExact(output, rows);
			assertThat(sim.counters().requests()).isEqualTo(rows);
		}
	}

	@Test
	void anIdleWorkerExitsOnItsOwnAndABusyOneNotBeforeItsPartitionsAreDone() throws Exception {
		// given: a run of 2 partitions whose requests wait, and no worker yet; each partition takes longer than 1 s
		int rows = 300;
		Path input = CliFixtures.csv(dir, rows);
		Path output = dir.resolve("answers.jsonl");
		try (ChatSimulator sim = CliFixtures.simulator(Duration.ofMillis(40), 0.3)) {
			java.util.concurrent.CompletableFuture<CliFixtures.Result> run = inBackground(
					() -> manager(sim, input, output, 2, "--no-local-worker"));
			org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> queued() == 2);

			// when: a worker exiting after 1 s idle takes them, and then another one starts, exiting after 5 s idle, with
			// nothing left to take
			long t0 = System.nanoTime();
			List<CliProcess> started = workers(1, 4, "--exit-when-idle", "1s");
			Process busy = fleet.get(0);
			CliFixtures.Result result = run.get(120, TimeUnit.SECONDS);
			List<CliProcess> idle = workers(1, 4, "--exit-when-idle", "5s");

			// then: the busy worker ran both partitions to the end before it exited (exit 0), and the run is exact
			assertThat(result.exitCode()).as(result.err()).isZero();
			CliFixtures.assertExact(output, rows);
			assertThat(busy.waitFor(30, TimeUnit.SECONDS)).as(started.get(0)::log).isTrue();
			assertThat(busy.exitValue()).isZero();
			assertThat(started.get(0).log()).contains("idle for 1 s; exiting (2 partitions run)");
			System.out.printf("partitions idle test: the busy worker ran for %d ms%n", (System.nanoTime() - t0) / 1_000_000);
			// and: the idle one is still there 2 s after it started taking partitions (of its 5 s), then exits 0 by itself,
			// having run nothing
			Process second = fleet.get(1);
			assertThat(second.waitFor(2, TimeUnit.SECONDS)).as(idle.get(0)::log).isFalse();
			assertThat(second.waitFor(30, TimeUnit.SECONDS)).as(idle.get(0)::log).isTrue();
			assertThat(second.exitValue()).isZero();
			assertThat(idle.get(0).log()).contains("idle for 5 s; exiting (0 partitions run)");
			assertThat(sim.counters().requests()).isEqualTo(rows);
		}
	}

	@Test
	void aWorkerThatCannotReachTheOutputsDirectoryFailsThePartitionNamingItAndTheRunEndsWithExitTwoBeforeAnyRequest()
			throws Exception {
		// given: a run whose output directory the manager sees, and its partition request waiting
		Path input = CliFixtures.csv(dir, 40);
		Path shared = java.nio.file.Files.createDirectory(dir.resolve("shared"));
		Path output = shared.resolve("answers.jsonl");
		try (ChatSimulator sim = CliFixtures.simulator(Duration.ofMillis(5), 0.3)) {
			java.util.concurrent.CompletableFuture<CliFixtures.Result> run = inBackground(
					() -> manager(sim, input, output, 1, "--no-local-worker"));
			org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> queued() == 1);

			// when: a worker on whose machine that directory is not there (root can write anywhere, so it is moved away:
			// not mounted there) takes the partition
			Path away = java.nio.file.Files.move(shared, dir.resolve("not-mounted"));
			List<CliProcess> started = workers(1, 4);
			org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60))
				.until(() -> java.nio.file.Files.readString(dir.resolve("worker-1").resolve("promptbatch.log"))
					.contains("refused"));
			java.nio.file.Files.move(away, shared);
			CliFixtures.Result result = run.get(60, TimeUnit.SECONDS);

			// then: the worker said which path, the manager ended the run with its message (exit 2), and nothing was sent
			String why = "cannot write the output's directory " + shared + ": mount the shared storage at the same path, "
					+ "writable, on every worker";
			assertThat(java.nio.file.Files.readString(dir.resolve("worker-1").resolve("promptbatch.log"))).contains(why);
			assertThat(result.exitCode()).as(result.err()).isEqualTo(2);
			assertThat(result.err()).contains("prompt-partition:p0000: worker ").contains(why);
			assertThat(sim.counters().requests()).isZero();
			assertThat(fleet.get(0).isAlive()).as(started.get(0)::log).isTrue();
			// and: nothing was written for the run's rows
			assertThat(output).doesNotExist();
		}
	}

	@Test
	void partitionsWithoutAStateDatabaseAndAWorkerWithoutOneAreRefusedBeforeAnyRequest() throws Exception {
		// given: a server that counts requests
		Path input = CliFixtures.csv(dir, 10);
		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder().build())) {
			// when: partitions are asked for without --state-db
			CliFixtures.Result run = CliFixtures.execute(Map.of(), "run", "--base-url", sim.baseUrl(), "--input",
					input.toString(), "--output", dir.resolve("a.jsonl").toString(), "--state-dir",
					dir.resolve("s").toString(), "--partitions", "4");
			// and: a worker is started without one
			CliFixtures.Result worker = CliFixtures.execute(Map.of(), "worker", "--state-dir", dir.resolve("w").toString());

			// then: both are refused with exit 2, saying what is missing, and nothing was sent
			assertThat(run.exitCode()).as(run.err()).isEqualTo(2);
			assertThat(run.err()).contains("--partitions needs --state-db JDBC_URL");
			assertThat(worker.exitCode()).as(worker.err()).isEqualTo(2);
			assertThat(worker.err()).contains("worker needs --state-db JDBC_URL");
			assertThat(sim.counters().requests()).isZero();
		}
	}

}
