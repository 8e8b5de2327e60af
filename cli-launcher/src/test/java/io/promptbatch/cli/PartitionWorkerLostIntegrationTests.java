package io.promptbatch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.promptbatch.simulator.ChatSimulator;
import io.promptbatch.simulator.SimulatorConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A worker lost in a partitioned run, on a real PostgreSQL server: killed mid-partition (taken over by another
 * without anyone), stopped with SIGTERM (its partition handed back and continued at once), or only slow (not taken
 * over while it beats).
 */
class PartitionWorkerLostIntegrationTests extends PartitionFleetBase {

	@Test
	void aWorkerKilledMidPartitionIsTakenOverAndTheRunCompletesPayingAgainOnlyItsRequestsInFlight() throws Exception {
		// given: two workers allowing 4 requests in flight each, and a run of 8 partitions none of which the manager runs
		int rows = 1200;
		int workerConcurrency = 4;
		Path input = CliFixtures.csv(dir, rows);
		Path output = dir.resolve("answers.jsonl");
		try (ChatSimulator sim = CliFixtures.simulator(Duration.ofMillis(30), 0.3)) {
			workers(2, workerConcurrency);
			Path workerLog = dir.resolve("worker-1").resolve("promptbatch.log");
			java.util.concurrent.CompletableFuture<CliFixtures.Result> run = inBackground(
					() -> manager(sim, input, output, 8, "--no-local-worker"));

			// when: worker 1 is killed (SIGKILL) while it runs a partition
			org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20))
				.until(() -> java.nio.file.Files.exists(workerLog)
						&& java.nio.file.Files.readString(workerLog).contains("started on"));
			Thread.sleep(1000);
			Process killed = fleet.get(0);
			killed.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
			long killedAt = System.nanoTime();
			long killedAtMillis = System.currentTimeMillis();
			// what it logged locally that had not reached the shared journal: paid again by the worker that takes over
			int onlyInLog = answersOnlyInLog(dir.resolve("worker-1"));
			String partitionsLeft = java.nio.file.Files.readString(workerLog);
			assertThat(partitionsLeft).as("worker 1 was killed while it ran a partition")
				.containsPattern("started on[^\\n]*\\n(?![\\s\\S]*ended)");

			// then: the run completes without anyone running it again, with one row per record in input order
			CliFixtures.Result result = run.get(180, TimeUnit.SECONDS);
			System.out.printf("partitions kill test: run ended %d ms after the kill; the killed worker's partition "
					+ "started again %d ms after the kill (lease 3 s)%n", (System.nanoTime() - killedAt) / 1_000_000,
					startedAgain("FAILED") - killedAtMillis);
			assertThat(result.exitCode()).as(result.err()).isZero();
			CliFixtures.assertExact(output, rows);
			// and: the killed worker's partition was taken over, and the summary counts it
			assertThat(result.err()).containsPattern("partitions: 8, run by 2 workers; [1-9] taken over");
			// and: the answers paid twice are at most the killed worker's requests in flight
			long paidAgain = sim.counters().requests() - rows;
			System.out.printf("partitions kill test: %d rows, %d requests, %d paid again (bound: %d in flight + %d answers "
					+ "only in the killed worker's answer log)%n", rows, sim.counters().requests(), paidAgain,
					workerConcurrency, onlyInLog);
			assertThat(paidAgain).isBetween(0L, (long) workerConcurrency + onlyInLog);
		}
	}

	@Test
	void aWorkerStoppedWithSigtermHandsItsPartitionBackAndAnotherContinuesItAtOncePayingNothingTwice()
			throws Exception {
		// given: two workers allowing 4 requests in flight each, and a run of 8 partitions none of which the manager runs,
		// with a lease of 60 s: a partition continued well within it was handed back, not taken over from a silent worker
		int rows = 1200;
		Path input = CliFixtures.csv(dir, rows);
		Path output = dir.resolve("answers.jsonl");
		try (ChatSimulator sim = CliFixtures.simulator(Duration.ofMillis(30), 0.3)) {
			List<CliProcess> started = workers(2, 4);
			Path workerLog = dir.resolve("worker-1").resolve("promptbatch.log");
			java.util.concurrent.CompletableFuture<CliFixtures.Result> run = inBackground(
					() -> manager(sim, input, output, 8, "--no-local-worker", "--state-db-lease", "60s"));

			// when: worker 1 is asked to stop (SIGTERM) while it runs a partition, with requests in flight (more than the
			// other worker's 4)
			org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(2))
				.until(() -> sim.counters().requests() >= 60 && sim.counters().inFlight() > 4
						&& java.nio.file.Files.readString(workerLog).contains("started on"));
			Process stopped = fleet.get(0);
			long stoppedAt = System.currentTimeMillis();
			stopped.destroy();
			assertThat(stopped.waitFor(60, TimeUnit.SECONDS)).as(started.get(0)::log).isTrue();
			long exitedAt = System.currentTimeMillis();

			// then: the run completes, with one row per record in input order
			CliFixtures.Result result = run.get(180, TimeUnit.SECONDS);
			assertThat(result.exitCode()).as(result.err()).isZero();
			CliFixtures.assertExact(output, rows);
			// and: it finished its answers in flight and committed them: none was paid twice
			assertThat(java.nio.file.Files.readString(workerLog)).containsPattern("Stopped after [1-9]\\d* rows")
				.containsPattern("ended STOPPED");
			assertThat(sim.counters().requests()).isEqualTo(rows);
			// and: it ended as a worker is meant to end (exit 0), saying so
			assertThat(stopped.exitValue()).as(started.get(0)::log).isZero();
			assertThat(started.get(0).log()).contains("promptbatch worker: stopping: no new partition");
			// and: its partition was continued by the other worker at once, not after the lease
			long resumedAt = startedAgain("STOPPED");
			System.out.printf("partitions SIGTERM test: worker exited %d ms after SIGTERM; its partition resumed on the "
					+ "other worker %d ms after SIGTERM (%d ms after the worker exited)%n", exitedAt - stoppedAt,
					resumedAt - stoppedAt, resumedAt - exitedAt);
			assertThat(resumedAt - stoppedAt).isLessThan(Duration.ofSeconds(20).toMillis());
			// and: the summary and the runs list say so
			assertThat(result.err()).contains("partitions: 8, run by 2 workers; 0 taken over from a silent worker, 1 "
					+ "handed back by a stopped worker");
			CliFixtures.Result runs = CliFixtures.execute(fleet.login(), "runs", "--state-dir", dir.resolve("runs").toString(),
					"--state-db", url);
			assertThat(runs.out()).containsPattern("stopped .* on .*\\(pid " + stopped.pid()
					+ "\\)  \\(handed back: its worker was stopped\\)");
		}
	}

	@Test
	void aPartitionSlowerBetweenTwoCommitsThanTheLeaseIsNotTakenOverWhileItsWorkerBeats() throws Exception {
		// given: answers that take 3 s, a lease of 2 s, and chunks of 2 rows: no commit for longer than the lease
		int rows = 8;
		Path input = CliFixtures.csv(dir, rows);
		Path output = dir.resolve("answers.jsonl");
		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder()
			.latency(io.promptbatch.simulator.Latency.fixed(Duration.ofSeconds(3)))
			.build())) {
			// when: the manager runs its 2 partitions on its own worker
			CliFixtures.Result result = manager(sim, input, output, 2, "--state-db-lease", "2s", "--chunk-size", "2");

			// then: the run completes, no partition was taken over, and each row was asked for once
			assertThat(result.exitCode()).as(result.err()).isZero();
			CliFixtures.assertExact(output, rows);
			assertThat(result.err()).contains("partitions: 2, run by 1 workers; 0 taken over");
			assertThat(sim.counters().requests()).isEqualTo(rows);
		}
	}

}
