package io.promptbatch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.promptbatch.simulator.ChatSimulator;
import io.promptbatch.testsupport.PostgresServer;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the tests of {@code run --partitions N} with {@code promptbatch worker} processes share: a real PostgreSQL
 * database of their own, the worker processes (stopped after each test), the manager's command, and queries of the
 * shared state. The tests are in three classes (runs, a worker lost, a manager lost) so that they run in parallel.
 */
abstract class PartitionFleetBase {

	@TempDir
	Path dir;

	WorkerProcesses fleet;

	PostgresServer pg;

	String url;

	@BeforeEach
	void database() {
		fleet = new WorkerProcesses(dir);
		pg = fleet.pg;
		url = fleet.url;
	}

	@AfterEach
	void stopWorkers() throws Exception {
		fleet.stop();
	}

	/** Starts worker processes, each with this --concurrency and a lease of 3 s, and waits until each takes partitions. */
	List<CliProcess> workers(int count, int concurrency, String... more) throws Exception {
		List<String> options = new ArrayList<>(List.of("--state-db-lease", "3s", "--concurrency",
				Integer.toString(concurrency)));
		options.addAll(List.of(more));
		return fleet.start(count, options.toArray(String[]::new));
	}

	CliFixtures.Result manager(ChatSimulator sim, Path input, Path output, int partitions, String... more) {
		return CliFixtures.execute(fleet.login(), managerArgs(sim, input, output, partitions, more));
	}

	/**
	 * The manager's command: {@code run --partitions N} on the shared database, with its state in "manager", a
	 * concurrency of 8, chunks of 20 and a lease of 3 s unless {@code more} gives them.
	 */
	String[] managerArgs(ChatSimulator sim, Path input, Path output, int partitions, String... more) {
		List<String> args = new ArrayList<>(List.of("run", "--base-url", sim.baseUrl(), "--model", "kimi-k2.5",
				"--input", input.toString(), "--output", output.toString(), "--state-dir",
				dir.resolve("manager").toString(), "--state-db", url, "--partitions", Integer.toString(partitions)));
		Map<String, String> defaults = Map.of("--concurrency", "8", "--chunk-size", "20", "--state-db-lease", "3s");
		defaults.forEach((option, value) -> {
			if (!List.of(more).contains(option)) {
				args.addAll(List.of(option, value));
			}
		});
		args.addAll(List.of(more));
		return args.toArray(String[]::new);
	}

	/**
	 * The manager run on a thread of its own, not the common pool: one that a failed test leaves waiting must not hold
	 * up the next test's (the common pool has one thread on a machine of two cores).
	 */
	static java.util.concurrent.CompletableFuture<CliFixtures.Result> inBackground(
			java.util.function.Supplier<CliFixtures.Result> manager) {
		java.util.concurrent.CompletableFuture<CliFixtures.Result> result = new java.util.concurrent.CompletableFuture<>();
		Thread thread = new Thread(() -> {
			try {
				result.complete(manager.get());
			}
			catch (Throwable e) {
				result.completeExceptionally(e);
			}
		}, "manager");
		thread.setDaemon(true);
		thread.start();
		return result;
	}

	/** The worker ({@code (pid N)}) that completed each partition, by partition name, as {@code runs} lists them. */
	Map<String, String> completedBy() {
		CliFixtures.Result runs = CliFixtures.execute(fleet.login(), "runs", "--state-dir", dir.resolve("runs").toString(),
				"--state-db", url);
		assertThat(runs.exitCode()).as(runs.err()).isZero();
		Map<String, String> by = new TreeMap<>();
		java.util.regex.Matcher m = java.util.regex.Pattern.compile("partition (p\\d{4}) .* completed .* on .*(\\(pid \\d+\\))")
			.matcher(runs.out());
		while (m.find()) {
			by.put(m.group(1), m.group(2));
		}
		return by;
	}

	/** How many answers of a state directory's answer log the shared journal does not have. */
	int answersOnlyInLog(Path stateDir) throws Exception {
		int missing = 0;
		try (Connection c = pg.connect(url.substring(url.lastIndexOf('/') + 1));
				java.sql.PreparedStatement s = c.prepareStatement(
						"SELECT COUNT(*) FROM PB_RESPONSE_JOURNAL WHERE RUN_ID = ? AND FINGERPRINT = ?")) {
			for (String[] answer : StateDatabaseIntegrationTests.answersInLog(stateDir)) {
				s.setLong(1, Long.parseLong(answer[0]));
				s.setString(2, answer[1]);
				try (ResultSet rs = s.executeQuery()) {
					rs.next();
					missing += rs.getLong(1) == 0 ? 1 : 0;
				}
			}
		}
		return missing;
	}

	/**
	 * When the first partition that ended with this status (STOPPED: handed back; FAILED: taken over) started again on
	 * another worker, in ms since the epoch: the START_TIME of the step execution after it.
	 */
	long startedAgain(String status) throws Exception {
		try (Connection c = pg.connect(url.substring(url.lastIndexOf('/') + 1));
				java.sql.PreparedStatement s = c.prepareStatement("SELECT N.START_TIME FROM BATCH_STEP_EXECUTION S JOIN "
						+ "BATCH_STEP_EXECUTION N ON N.STEP_NAME = S.STEP_NAME AND N.STEP_EXECUTION_ID > S.STEP_EXECUTION_ID "
						+ "WHERE S.STATUS = ? ORDER BY S.STEP_EXECUTION_ID, N.STEP_EXECUTION_ID")) {
			s.setString(1, status);
			try (ResultSet rs = s.executeQuery()) {
				assertThat(rs.next()).as("a partition ended " + status + " and started again").isTrue();
				return rs.getTimestamp(1).getTime();
			}
		}
	}

	/** How many partition requests wait in the queue. */
	int queued() throws Exception {
		try (Connection c = pg.connect(url.substring(url.lastIndexOf('/') + 1));
				java.sql.Statement s = c.createStatement();
				ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM INT_CHANNEL_MESSAGE")) {
			rs.next();
			return rs.getInt(1);
		}
		catch (java.sql.SQLException notYet) {
			// the manager has not created the queue yet
			return 0;
		}
	}

}
