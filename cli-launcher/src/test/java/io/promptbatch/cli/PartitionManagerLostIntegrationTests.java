package io.promptbatch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.promptbatch.simulator.ChatSimulator;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The manager of a partitioned run lost, on a real PostgreSQL server: killed (SIGKILL) or stopped (SIGTERM) mid-run,
 * and the same command completing the run with one row per record.
 */
class PartitionManagerLostIntegrationTests extends PartitionFleetBase {

	@Test
	void aManagerStoppedWithSigtermEndsStoppedAtOnceAndTheSameCommandCompletesTheRunPayingNothingTwice()
			throws Exception {
		// given: a manager process running its 4 partitions on its own worker, one at a time
		int rows = 600;
		Path input = CliFixtures.csv(dir, rows);
		Path output = dir.resolve("answers.jsonl");
		try (ChatSimulator sim = CliFixtures.simulator(Duration.ofMillis(30), 0.3)) {
			CliProcess managerProcess = new CliProcess(dir.resolve("manager-process.log"));
			Process manager = managerProcess.start(fleet.login(), List.of("-Xmx256m"), managerArgs(sim, input, output, 4));

			// when: it is asked to stop (SIGTERM) in its first partition
			CliProcess.awaitRequests(sim, manager, 60);
			manager.destroy();

			// then: it ends stopped (exit 1), not waiting for the partitions no worker took
			assertThat(manager.waitFor(60, TimeUnit.SECONDS)).as(managerProcess::log).isTrue();
			assertThat(manager.exitValue()).as(managerProcess::log).isEqualTo(1);
			// and: the same command completes the run, exactly, with no answer paid twice
			CliFixtures.Result result = manager(sim, input, output, 4);
			assertThat(result.exitCode()).as(result.err()).isZero();
			CliFixtures.assertExact(output, rows);
			assertThat(sim.counters().requests()).isEqualTo(rows);
		}
	}

	@Test
	void aManagerKilledMidRunIsContinuedByTheSameCommandWithOneRowPerRecord() throws Exception {
		// given: one worker and a manager process running 4 partitions, none of them itself
		int rows = 800;
		int workerConcurrency = 4;
		Path input = CliFixtures.csv(dir, rows);
		Path output = dir.resolve("answers.jsonl");
		try (ChatSimulator sim = CliFixtures.simulator(Duration.ofMillis(30), 0.3)) {
			workers(1, workerConcurrency);
			CliProcess managerProcess = new CliProcess(dir.resolve("manager-process.log"));
			Process manager = managerProcess.start(fleet.login(), List.of("-Xmx256m"),
					managerArgs(sim, input, output, 4, "--no-local-worker"));

			// when: the manager is killed (SIGKILL) while the worker runs its partitions
			CliProcess.awaitRequests(sim, manager, rows / 4);
			managerProcess.kill(manager);

			// then: the same command (the run's lease is free: its holder's pid is gone) completes the run
			CliFixtures.Result result = manager(sim, input, output, 4, "--no-local-worker");
			assertThat(result.exitCode()).as(result.err()).isZero();
			CliFixtures.assertExact(output, rows);
			// and: answers paid twice are at most the worker's requests in flight when its partition was fenced
			long paidAgain = sim.counters().requests() - rows;
			System.out.printf("partitions manager-kill test: %d rows, %d requests, %d paid again%n", rows,
					sim.counters().requests(), paidAgain);
			assertThat(paidAgain).isBetween(0L, (long) workerConcurrency);
		}
	}

}
