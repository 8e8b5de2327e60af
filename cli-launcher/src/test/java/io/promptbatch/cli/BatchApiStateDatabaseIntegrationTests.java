package io.promptbatch.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.promptbatch.simulator.ChatSimulator;
import io.promptbatch.testsupport.PostgresServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code run --batch-api} with its state in a real PostgreSQL server ({@code --state-db}): the batch ledger is in the
 * shared database, so that a run killed while it polls is collected from another state directory without a second
 * upload or batch.
 */
class BatchApiStateDatabaseIntegrationTests {

	private static final int ROWS = 30;

	@TempDir
	Path dir;

	@Test
	void aBatchRunKilledWhilePollingIsCollectedFromAnotherStateDirectoryWithTheSameDatabase() throws Exception {
		// given: machine A runs a batch run against a shared database
		PostgresServer pg = PostgresServer.shared();
		String url = pg.url(pg.newDatabase());
		Map<String, String> login = Map.of("PROMPTBATCH_STATE_DB_USER", pg.user(), "PROMPTBATCH_STATE_DB_PASSWORD",
				pg.password());
		Path input = CliFixtures.csv(dir, ROWS);
		Path output = dir.resolve("answers.jsonl");
		try (ChatSimulator sim = CliFixtures.batchesTaking(Duration.ofSeconds(4))) {
			CliProcess machineA = new CliProcess(dir.resolve("machine-a.log"));
			Process a = machineA.start(login, List.of(), args(sim, input, output, "state-a", url));
			await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(5))
				.until(() -> sim.counters().batchesCreated() >= 1 || !a.isAlive());
			Thread.sleep(1_500);

			// when: machine A is killed (SIGKILL) while it polls, and its lease runs out
			machineA.kill(a);
			assertThat(CliFixtures.jsonl(output)).isEmpty();
			Thread.sleep(3_200);
			CliProcess machineB = new CliProcess(dir.resolve("machine-b.log"));
			Process b = machineB.start(login, List.of(), args(sim, input, output, "state-b", url));

			// then: machine B collects the same batch, and the output is exact
			assertThat(b.waitFor(120, TimeUnit.SECONDS)).as(machineB::log).isTrue();
			assertThat(b.exitValue()).as(machineB::log).isZero();
			// the same run, continued: its time counts both processes' attempts
			assertThat(machineB.log()).contains("run 1 completed: 30 rows, 30 ok").contains("over all attempts");
			CliFixtures.assertOneBatchAnsweredEveryRow(sim, output, ROWS);
			assertThat(sim.counters().status(200)).as("requests sent live").isZero();
		}
	}

	private String[] args(ChatSimulator sim, Path input, Path output, String stateDir, String stateDb) {
		return new String[] { "run", "--base-url", sim.baseUrl(), "--model", "kimi-k2.5", "--batch-api",
				"--batch-max-poll", "200ms", "--input", input.toString(), "--output", output.toString(), "--state-dir",
				dir.resolve(stateDir).toString(), "--state-db", stateDb, "--state-db-lease", "3s" };
	}
}
