package io.promptbatch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.promptbatch.simulator.ChatSimulator;
import io.promptbatch.simulator.SimulatorConfig;
import io.promptbatch.testsupport.PostgresServer;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code run --partitions N} with {@code promptbatch worker} processes on a real PostgreSQL server: one output in
 * input order from partitions run by several processes, and a worker killed mid-partition taken over without anyone.
 */
class PartitionsIntegrationTests {

	@TempDir
	Path dir;

	private WorkerProcesses fleet;

	private PostgresServer pg;

	private String url;

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
	private List<CliProcess> workers(int count, int concurrency, String... more) throws Exception {
		List<String> options = new ArrayList<>(List.of("--state-db-lease", "3s", "--concurrency",
				Integer.toString(concurrency)));
		options.addAll(List.of(more));
		return fleet.start(count, options.toArray(String[]::new));
	}

	private CliFixtures.Result manager(ChatSimulator sim, Path input, Path output, int partitions, String... more) {
		return CliFixtures.execute(fleet.login(), managerArgs(sim, input, output, partitions, more));
	}

	/**
	 * The manager's command: {@code run --partitions N} on the shared database, with its state in "manager", a
	 * concurrency of 8, chunks of 20 and a lease of 3 s unless {@code more} gives them.
	 */
	private String[] managerArgs(ChatSimulator sim, Path input, Path output, int partitions, String... more) {
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
	private static java.util.concurrent.CompletableFuture<CliFixtures.Result> inBackground(
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
	private Map<String, String> completedBy() {
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
	private int answersOnlyInLog(Path stateDir) throws Exception {
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

	/**
	 * When the first partition that ended with this status (STOPPED: handed back; FAILED: taken over) started again on
	 * another worker, in ms since the epoch: the START_TIME of the step execution after it.
	 */
	private long startedAgain(String status) throws Exception {
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

	/** How many partition requests wait in the queue. */
	private int queued() throws Exception {
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
