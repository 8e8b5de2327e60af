package io.promptbatch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.promptbatch.simulator.ChatSimulator;
import io.promptbatch.simulator.SimulatorConfig;
import io.promptbatch.testsupport.PostgresServer;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * {@code --state-db}: the run's state in a real PostgreSQL server, continued from another state directory (another
 * machine) after a {@code kill -9}, and bad setups refused before any request.
 */
class StateDatabaseIntegrationTests {

	private static final int ROWS = 1500;

	private static final int CONCURRENCY = 16;

	@TempDir
	Path dir;

	private PostgresServer pg;

	private String database;

	@BeforeEach
	void database() {
		pg = PostgresServer.shared();
		database = pg.newDatabase();
	}

	private Map<String, String> login() {
		return Map.of("PROMPTBATCH_STATE_DB_USER", pg.user(), "PROMPTBATCH_STATE_DB_PASSWORD", pg.password());
	}

	private String[] run(ChatSimulator sim, Path input, Path output, String stateDir, String stateDb) {
		return new String[] { "run", "--base-url", sim.baseUrl(), "--model", "kimi-k2.5", "--concurrency",
				Integer.toString(CONCURRENCY), "--chunk-size", "50", "--input", input.toString(), "--output",
				output.toString(), "--state-dir", dir.resolve(stateDir).toString(), "--state-db", stateDb,
				"--state-db-lease", "3s", "--report" };
	}

	@Test
	void aRunKilledOnOneMachineIsFinishedFromAnotherWithTheSameDatabaseAndThePasswordIsWrittenNowhere()
			throws Exception {
		// given: machine A (state directory A, login from the environment) runs against a shared database
		Path input = CliFixtures.csv(dir, ROWS);
		Path output = dir.resolve("answers.jsonl");
		String url = pg.url(database);
		// machine B gives the login in the URL
		String urlWithLogin = url + "?user=" + pg.user() + "&password=" + pg.password();
		List<String> console = new ArrayList<>();
		try (ChatSimulator sim = CliFixtures.simulator(Duration.ofMillis(20), 0.5)) {
			CliProcess machineA = new CliProcess(dir.resolve("machine-a.log"));
			Process a = machineA.start(login(), List.of(), run(sim, input, output, "state-a", url));
			CliProcess.awaitRequests(sim, a, 400);

			// when: machine A is killed (SIGKILL) mid-run
			machineA.kill(a);
			long requestsAtKill = sim.counters().requests();
			// what it logged locally that had not reached the shared journal yet: machine B pays for these again
			List<String[]> onlyInA = answersOnlyInLog(dir.resolve("state-a"));
			// and: its lease is made to look like a live process on another host
			assertThat(sql("UPDATE PB_RUN_LEASE SET HOST = 'machine-a', HEARTBEAT = CURRENT_TIMESTAMP")).isEqualTo(1);

			// then: machine B is refused while the lease is fresh, without a request
			CliFixtures.Result refused = CliFixtures.execute(Map.of(), run(sim, input, output, "state-b", urlWithLogin));
			console.add(refused.out() + refused.err());
			assertThat(refused.exitCode()).as(refused.err()).isEqualTo(2);
			assertThat(refused.err()).contains("run 1 is running on host machine-a (pid " + a.pid() + "), last seen")
				.contains("--state-db-lease");
			assertThat(sim.counters().requests()).isEqualTo(requestsAtKill);

			// when: the lease period passes without a heartbeat, machine B runs the same command
			Thread.sleep(3_200);
			CliFixtures.Result finished = CliFixtures.execute(Map.of(), run(sim, input, output, "state-b", urlWithLogin));
			console.add(finished.out() + finished.err());

			// then: the run completes with exactly one row per record, in order
			assertThat(finished.exitCode()).as(finished.err()).isZero();
			assertThat(finished.err()).contains("continuing run 1");
			List<JsonNode> rows = CliFixtures.jsonl(output);
			assertThat(rows).hasSize(ROWS);
			for (int i = 0; i < ROWS; i++) {
				assertThat(rows.get(i).get("id").asString()).isEqualTo("p" + (i + 1));
				assertThat(rows.get(i).get("status").asString()).isEqualTo("ok");
			}
			// and: only the requests in flight at the kill, and the answers only machine A's disk held, were paid again
			long paidAgain = sim.counters().requests() - ROWS;
			System.out.printf("state-db kill test: %d rows, %d requests at the kill, %d paid again, bound %d in flight + "
					+ "%d only in machine A's answer log%n", ROWS, requestsAtKill, paidAgain, CONCURRENCY, onlyInA.size());
			assertThat(paidAgain).isLessThanOrEqualTo(CONCURRENCY + onlyInA.size());

			// when: runs is asked from a third state directory
			CliFixtures.Result runs = CliFixtures.execute(login(), "runs", "--state-dir", dir.resolve("state-c").toString(),
					"--state-db", url);
			console.add(runs.out() + runs.err());

			// then: it lists the run, completed
			assertThat(runs.exitCode()).as(runs.err()).isZero();
			assertThat(runs.out()).containsPattern("(?m)^1 .* completed .*" + java.util.regex.Pattern.quote(output.toString()));

			// when: promptbatch runs again on machine A's state directory
			CliFixtures.Result again = CliFixtures.execute(login(), "runs", "--state-dir", dir.resolve("state-a").toString(),
					"--state-db", url);
			console.add(again.out() + again.err());

			// then: what machine A's answer log held reached the shared journal, and the log is gone
			assertThat(again.exitCode()).isZero();
			for (String[] answer : onlyInA) {
				assertThat(sqlCount("SELECT COUNT(*) FROM PB_RESPONSE_JOURNAL WHERE RUN_ID = " + answer[0]
						+ " AND FINGERPRINT = '" + answer[1] + "'")).isPositive();
			}
			assertThat(answersInLog(dir.resolve("state-a"))).isEmpty();
			console.add(machineA.log());
		}

		// and: the password is in no file the runs wrote (output, summary, report, state directories, logs) and on no
		// console
		assertThat(output.resolveSibling("answers.jsonl.summary.json")).exists();
		assertThat(output.resolveSibling("answers.jsonl.report.html")).exists();
		assertThat(dir.resolve("state-b").resolve("promptbatch.log")).exists();
		List<Path> written;
		try (Stream<Path> files = Files.walk(dir)) {
			written = files.filter(Files::isRegularFile).toList();
		}
		assertThat(written).hasSizeGreaterThan(6);
		for (Path file : written) {
			assertThat(new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1)).as(file.toString())
				.doesNotContain(pg.password());
		}
		assertThat(console).allSatisfy(text -> assertThat(text).doesNotContain(pg.password()));
		// nor in the job repository
		assertThat(sqlCount("SELECT COUNT(*) FROM BATCH_JOB_EXECUTION_PARAMS WHERE PARAMETER_VALUE LIKE '%"
				+ pg.password() + "%'")).isZero();
	}

	@Test
	void aKilledRunIsResumedFromAnotherStateDirectoryAtOnceWhenItsProcessOnThisHostIsGone() throws Exception {
		// given: a run killed (SIGKILL) mid-run on state directory A
		int rows = 600;
		Path input = CliFixtures.csv(dir, rows);
		Path output = dir.resolve("answers.jsonl");
		try (ChatSimulator sim = CliFixtures.simulator(Duration.ofMillis(20), 0.5)) {
			CliProcess machineA = new CliProcess(dir.resolve("machine-a.log"));
			Process a = machineA.start(login(), List.of(), run(sim, input, output, "state-a", pg.url(database)));
			CliProcess.awaitRequests(sim, a, 200);
			machineA.kill(a);

			// when: 'resume' from state directory B, with a lease period of ten minutes
			CliFixtures.Result resumed = CliFixtures.execute(login(), "resume", "--state-dir",
					dir.resolve("state-b").toString(), "--state-db", pg.url(database), "--state-db-lease", "10m");

			// then: its process being gone from this host, the run is taken over at once and completed
			assertThat(resumed.exitCode()).as(resumed.err()).isZero();
			assertThat(resumed.err()).contains("resuming run 1");
			List<JsonNode> written = CliFixtures.jsonl(output);
			assertThat(written).hasSize(rows);
			for (int i = 0; i < rows; i++) {
				assertThat(written.get(i).get("id").asString()).isEqualTo("p" + (i + 1));
			}
			assertThat(sqlCount("SELECT COUNT(*) FROM PB_RUN_LEASE")).isZero();
		}
	}

	@Test
	void aWrongPasswordIsRefusedBeforeAnyRequestWithoutShowingIt() throws Exception {
		CliFixtures.Result r = refusedRun(pg.url(database) + "?password=wrong-password-7", Map.of(
				"PROMPTBATCH_STATE_DB_USER", pg.user()));
		assertThat(r.err()).contains("the state database " + pg.url(database) + "?user=" + pg.user() + " refused the login")
			.contains("PROMPTBATCH_STATE_DB_PASSWORD")
			.doesNotContain("wrong-password-7");
	}

	@Test
	void anUnreachableServerIsRefusedBeforeAnyRequest() throws Exception {
		int closed;
		try (ServerSocket socket = new ServerSocket(0)) {
			closed = socket.getLocalPort();
		}
		String url = "jdbc:postgresql://127.0.0.1:" + closed + "/" + database;
		CliFixtures.Result r = refusedRun(url, login());
		assertThat(r.err()).contains("the state database " + url + "?user=" + pg.user() + " cannot be reached")
			.contains("Check the host and port of --state-db")
			.doesNotContain(pg.password());
	}

	@Test
	void aMissingDatabaseIsRefusedBeforeAnyRequest() throws Exception {
		CliFixtures.Result r = refusedRun(pg.url("no_such_database"), login());
		assertThat(r.err()).contains("the state database " + pg.url("no_such_database") + "?user=" + pg.user()
				+ " does not exist").contains("create it (createdb, or CREATE DATABASE)");
	}

	@Test
	void aDatabaseOfAnotherSchemaVersionIsRefusedBeforeAnyRequest() throws Exception {
		// given: a state database that another promptbatch version made
		CliFixtures.Result made = CliFixtures.execute(login(), "runs", "--state-dir", dir.resolve("state").toString(),
				"--state-db", pg.url(database));
		assertThat(made.exitCode()).as(made.err()).isZero();
		sql("UPDATE PB_SCHEMA_VERSION SET VERSION = 99");

		// when / then
		CliFixtures.Result r = refusedRun(pg.url(database), login());
		assertThat(r.err()).contains("was created by promptbatch schema version 99; this is version 1");
	}

	@Test
	void aUrlOfAnotherDatabaseIsRefusedBeforeAnyRequest() throws Exception {
		// the URL from the environment, as any option can be given
		CliFixtures.Result r = refusedRun(null, Map.of("PROMPTBATCH_STATE_DB", "jdbc:h2:file:/tmp/state;PASSWORD=x"));
		assertThat(r.err()).contains("--state-db jdbc:h2:file:/tmp/state;PASSWORD=*** is not a PostgreSQL JDBC URL");
	}

	@Test
	void thePasswordIsReadFromPgpassWhenNoneIsGiven() throws Exception {
		// given: a home directory whose ~/.pgpass has the password, and the URL and user in the environment
		Path home = Files.createDirectories(dir.resolve("home"));
		Map<String, String> env = Map.of("PROMPTBATCH_STATE_DB", pg.url(database), "PROMPTBATCH_STATE_DB_USER", pg.user());
		CliProcess withoutPgpass = new CliProcess(dir.resolve("without.log"));
		Process refused = withoutPgpass.start(env, List.of("-Duser.home=" + home), "runs", "--state-dir",
				dir.resolve("state").toString());
		assertThat(refused.waitFor(60, TimeUnit.SECONDS)).isTrue();
		assertThat(refused.exitValue()).as(withoutPgpass::log).isEqualTo(2);
		assertThat(withoutPgpass.log()).contains("refused the login");
		Path pgpass = home.resolve(".pgpass");
		Files.writeString(pgpass, "127.0.0.1:" + pg.port() + ":" + database + ":" + pg.user() + ":" + pg.password() + "\n");
		Files.setPosixFilePermissions(pgpass, PosixFilePermissions.fromString("rw-------"));

		// when
		CliProcess withPgpass = new CliProcess(dir.resolve("with.log"));
		Process listed = withPgpass.start(env, List.of("-Duser.home=" + home), "runs", "--state-dir",
				dir.resolve("state").toString());

		// then: the driver read it, and the state database was used
		assertThat(listed.waitFor(60, TimeUnit.SECONDS)).isTrue();
		assertThat(listed.exitValue()).as(withPgpass::log).isZero();
		assertThat(withPgpass.log()).contains("RUN").contains("STATUS");
		assertThat(sqlCount("SELECT COUNT(*) FROM PB_SCHEMA_VERSION")).isEqualTo(1);
	}

	/** Runs the sample with the state database, expecting exit 2 before any request; what it printed. */
	private CliFixtures.Result refusedRun(String stateDb, Map<String, String> env) throws IOException {
		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder().build())) {
			List<String> args = new ArrayList<>(List.of("run", "--base-url", sim.baseUrl(), "--model", "kimi-k2.5",
					"--input", CliFixtures.SAMPLE_CSV.toString(), "--output", dir.resolve("out.jsonl").toString(),
					"--state-dir", dir.resolve("state").toString()));
			if (stateDb != null) {
				args.addAll(List.of("--state-db", stateDb));
			}
			CliFixtures.Result r = CliFixtures.execute(env, args.toArray(String[]::new));
			assertThat(r.exitCode()).as(r.err()).isEqualTo(2);
			assertThat(sim.counters().requests()).isZero();
			assertThat(dir.resolve("out.jsonl")).doesNotExist();
			return r;
		}
	}

	private int sql(String statement) throws SQLException {
		try (Connection c = pg.connect(database); Statement s = c.createStatement()) {
			return s.executeUpdate(statement);
		}
	}

	private long sqlCount(String query) throws SQLException {
		try (Connection c = pg.connect(database); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(query)) {
			rs.next();
			return rs.getLong(1);
		}
	}

	/** The (run, fingerprint) of each whole line of a state directory's answer logs. */
	static List<String[]> answersInLog(Path stateDir) throws IOException {
		List<String[]> answers = new ArrayList<>();
		Path log = stateDir.resolve("answer-log");
		if (!Files.isDirectory(log)) {
			return answers;
		}
		// each state database's log in a directory of its own
		try (Stream<Path> segments = Files.walk(log)) {
			for (Path segment : segments.filter(p -> p.getFileName().toString().endsWith(".log")).toList()) {
				String text = Files.readString(segment, StandardCharsets.UTF_8);
				// the last line may be cut short by the kill: it was never acknowledged
				for (String line : text.substring(0, text.lastIndexOf('\n') + 1).split("\n")) {
					String[] f = line.split("\t", 3);
					if (f.length == 3) {
						answers.add(new String[] { f[0], f[1] });
					}
				}
			}
		}
		return answers;
	}

	/** The answers of a state directory's log that the shared journal does not have. */
	private List<String[]> answersOnlyInLog(Path stateDir) throws IOException, SQLException {
		List<String[]> missing = new ArrayList<>();
		try (Connection c = pg.connect(database); PreparedStatement s = c.prepareStatement(
				"SELECT COUNT(*) FROM PB_RESPONSE_JOURNAL WHERE RUN_ID = ? AND FINGERPRINT = ?")) {
			for (String[] answer : answersInLog(stateDir)) {
				s.setLong(1, Long.parseLong(answer[0]));
				s.setString(2, answer[1]);
				try (ResultSet rs = s.executeQuery()) {
					rs.next();
					if (rs.getLong(1) == 0) {
						missing.add(answer);
					}
				}
			}
		}
		return missing;
	}
}
