package io.promptbatch.batch.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.promptbatch.batch.Endpoints;
import io.promptbatch.batch.PromptBatchApplication;
import io.promptbatch.batch.StopSignal;
import io.promptbatch.batch.journal.ResponseJournal;
import io.promptbatch.core.chat.Usage;
import io.promptbatch.core.client.ChatResponse;
import io.promptbatch.testsupport.PostgresServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.SimpleDriverDataSource;

/** The state database on a real PostgreSQL server: its schema, its journal, and who runs a run. */
class SharedStateDatabaseIntegrationTests {

	@TempDir
	Path dir;

	private PostgresServer server;

	private String database;

	@BeforeEach
	void database() {
		server = PostgresServer.shared();
		database = server.newDatabase();
	}

	private StateDatabase stateDb() {
		return StateDatabase.of(server.url(database), server.user(), server.password(), Duration.ofSeconds(2));
	}

	private ConfigurableApplicationContext start(Path stateDir) {
		return PromptBatchApplication.start(stateDir, stateDb(), v -> null, Endpoints.IDENTITY,
				new StopSignal(Duration.ofSeconds(1)));
	}

	private JdbcTemplate jdbc() {
		return new JdbcTemplate(dataSource());
	}

	private SimpleDriverDataSource dataSource() {
		return new SimpleDriverDataSource(new org.postgresql.Driver(), server.url(database), server.user(),
				server.password());
	}

	@Test
	void twoProcessesStartingAtOnceOnAnEmptyDatabaseCreateTheSchemaOnce() throws Exception {
		// given: four schema checks on their own connections, released at the same moment on an empty database
		int starters = 4;
		CyclicBarrier together = new CyclicBarrier(starters);
		ExecutorService pool = Executors.newFixedThreadPool(starters);
		List<Future<?>> done = new ArrayList<>();

		// when
		for (int i = 0; i < starters; i++) {
			done.add(pool.submit(() -> {
				together.await();
				new StateSchema(dataSource(), "test").afterPropertiesSet();
				return null;
			}));
		}

		// then: none failed (without the advisory lock, the second CREATE TABLE fails on a duplicate type), and one
		// version row was written
		for (Future<?> f : done) {
			f.get();
		}
		pool.shutdown();
		assertThat(jdbc().queryForObject("SELECT COUNT(*) FROM PB_SCHEMA_VERSION", Long.class)).isEqualTo(1);
		assertThat(jdbc().queryForObject("SELECT VERSION FROM PB_SCHEMA_VERSION", Integer.class))
			.isEqualTo(StateSchema.VERSION);
		assertThat(jdbc().queryForObject("SELECT COUNT(*) FROM BATCH_JOB_INSTANCE", Long.class)).isZero();
	}

	@Test
	void aDatabaseOfAnotherSchemaVersionIsRefusedNamingBothVersions() {
		// given: a state database made by "another version"
		start(dir.resolve("state")).close();
		jdbc().update("UPDATE PB_SCHEMA_VERSION SET VERSION = 99");

		// when / then
		assertThatThrownBy(() -> start(dir.resolve("state")))
			.isInstanceOf(StateDatabaseException.class)
			.hasMessageContaining("the state database " + server.url(database) + "?user=" + server.user())
			.hasMessageContaining("was created by promptbatch schema version 99; this is version " + StateSchema.VERSION)
			.hasMessageNotContaining(server.password());
	}

	@Test
	void aDatabaseWithAnotherProgramsTablesIsRefused() {
		// given: a job repository of some other Spring Batch application
		jdbc().execute("CREATE TABLE BATCH_JOB_INSTANCE (JOB_INSTANCE_ID BIGINT PRIMARY KEY)");

		// when / then
		assertThatThrownBy(() -> start(dir.resolve("state"))).isInstanceOf(StateDatabaseException.class)
			.hasMessageContaining("has a table batch_job_instance but no promptbatch schema version");
	}

	@Test
	void theLoginRefusedAndAMissingDatabaseAreToldApartWithoutThePassword() {
		StateDatabase wrong = StateDatabase.of(server.url(database) + "?password=not-the-password-42", server.user(),
				null, io.promptbatch.core.client.ClientSettings.duration(StateDatabase.DEFAULT_LEASE));
		assertThatThrownBy(wrong::check).isInstanceOf(StateDatabaseException.class)
			.hasMessageContaining("refused the login")
			.hasMessageContaining("PROMPTBATCH_STATE_DB_PASSWORD")
			.hasMessageNotContaining("not-the-password-42");
		StateDatabase missing = StateDatabase.of(server.url("no_such_database"), server.user(), server.password(),
				io.promptbatch.core.client.ClientSettings.duration(StateDatabase.DEFAULT_LEASE));
		assertThatThrownBy(missing::check).isInstanceOf(StateDatabaseException.class)
			.hasMessageContaining("does not exist")
			.hasMessageContaining("create it")
			.hasMessageNotContaining(server.password());
	}

	@Test
	void answersAreFoundThroughTheFingerprintIndexAndSurviveTheProcess() throws Exception {
		// given: a journal on the shared database with 20,000 answers of other runs, and one of run 7
		try (ConfigurableApplicationContext context = start(dir.resolve("state"))) {
			JdbcTemplate jdbc = context.getBean(JdbcTemplate.class);
			jdbc.update("INSERT INTO PB_RESPONSE_JOURNAL (RUN_ID, FINGERPRINT, RESPONSE, CREATED_AT, FP_KEY) "
					+ "SELECT g % 50, md5(g::text) || md5((g + 1)::text), '{}', now(), g * 7919 FROM generate_series(1, 20000) g");
			jdbc.execute("ANALYZE PB_RESPONSE_JOURNAL");
			ResponseJournal journal = context.getBean(ResponseJournal.class);
			journal.record(7, fingerprint(1), answer("kept"), 2, 30).join();

			// when: the lookup's plan is asked for
			String plan = String.join("\n", jdbc.queryForList("EXPLAIN SELECT RUN_ID, RESPONSE FROM PB_RESPONSE_JOURNAL "
					+ "WHERE FP_KEY = 5 AND FINGERPRINT = 'x' ORDER BY CASE WHEN RUN_ID = 7 THEN 0 ELSE 1 END, ID DESC LIMIT 1",
					String.class));

			// then: it goes through the index, not over the table
			assertThat(plan).containsIgnoringCase("pb_response_journal_fpk").doesNotContainIgnoringCase("Seq Scan");
		}

		// and: a new process finds the answer, committed in PostgreSQL (from a state directory without its log)
		try (ConfigurableApplicationContext context = start(dir.resolve("elsewhere"))) {
			ResponseJournal journal = context.getBean(ResponseJournal.class);
			assertThat(journal.find(7, fingerprint(1), false)).get()
				.satisfies(e -> {
					assertThat(e.response().content()).isEqualTo("kept");
					assertThat(e.attempts()).isEqualTo(2);
				});
			assertThat(journal.find(8, fingerprint(1), true)).get().satisfies(e -> assertThat(e.runId()).isEqualTo(7));
			assertThat(journal.find(8, fingerprint(1), false)).isEmpty();
		}
	}

	@Test
	void aRunIsRefusedWhileItsHolderIsFreshAndTakenOverOnceItIsSilent() throws Exception {
		// given: a run held by a process on another machine, with a lease of 2 s
		start(dir.resolve("state")).close();
		DataSourceTransactionManager tm = new DataSourceTransactionManager(dataSource());
		RunLeases machineA = RunLeases.shared(jdbc(), tm, Duration.ofSeconds(2), "machine-a", 4242, () -> {
		});
		RunLeases machineB = RunLeases.shared(jdbc(), tm, Duration.ofSeconds(2), "machine-b", 4343, () -> {
		});
		machineA.acquire("run-key");

		// when / then: while machine A's heartbeat goes on (about every 0.7 s), machine B is refused
		for (int i = 0; i < 4; i++) {
			assertThatThrownBy(() -> machineB.acquire("run-key")).isInstanceOfSatisfying(RunLeases.HeldException.class,
					e -> {
						assertThat(e.holder().host()).isEqualTo("machine-a");
						assertThat(e.holder().pid()).isEqualTo(4242);
						assertThat(e.holder().silentSeconds()).isLessThan(2);
					});
			assertThat(machineB.heldByAnother("run-key")).isPresent();
			Thread.sleep(800);
		}

		// when: machine A is lost (its heartbeats stop, its lease stays) and the lease period passes
		machineA.close();
		Thread.sleep(2300);

		// then: machine B takes the run over, and now machine A would be refused
		try (RunLeases.Lease lease = machineB.acquire("run-key")) {
			assertThat(machineB.heldByAnother("run-key")).isEmpty();
			assertThat(machineA.heldByAnother("run-key")).get().satisfies(h -> assertThat(h.host()).isEqualTo("machine-b"));
		}
		// and: closing a lease gives it up
		assertThat(jdbc().queryForObject("SELECT COUNT(*) FROM PB_RUN_LEASE", Long.class)).isZero();
		machineB.close();
	}

	@Test
	void aRunWhoseHolderOnThisHostIsGoneIsTakenOverAtOnce() throws Exception {
		// given: a lease held by a process of this host that has ended
		start(dir.resolve("state")).close();
		Process ended = new ProcessBuilder("true").start();
		ended.waitFor();
		DataSourceTransactionManager tm = new DataSourceTransactionManager(dataSource());
		RunLeases gone = RunLeases.shared(jdbc(), tm, Duration.ofMinutes(10), RunLeases.localHost(), ended.pid(), () -> {
		});
		gone.acquire("run-key");
		gone.close();
		// and: one of a live process of this host (this JVM, as another owner)
		RunLeases alive = RunLeases.shared(jdbc(), tm, Duration.ofMinutes(10), RunLeases.localHost(),
				ProcessHandle.current().pid(), () -> {
				});
		alive.acquire("other-run");

		// when / then: the first is taken over at once, though its lease period is ten minutes; the second is not
		RunLeases next = RunLeases.shared(jdbc(), tm, Duration.ofMinutes(10), () -> {
		});
		try (RunLeases.Lease lease = next.acquire("run-key")) {
			assertThat(next.heldByAnother("run-key")).isEmpty();
		}
		assertThatThrownBy(() -> next.acquire("other-run")).isInstanceOf(RunLeases.HeldException.class);
		alive.close();
		next.close();
	}

	@Test
	void aProcessWhoseLeaseWasTakenOverIsToldToStop() throws Exception {
		// given: a process holding a run, that fell silent for longer than the lease (a machine suspended, say)
		start(dir.resolve("state")).close();
		DataSourceTransactionManager tm = new DataSourceTransactionManager(dataSource());
		java.util.concurrent.CountDownLatch stopped = new java.util.concurrent.CountDownLatch(1);
		RunLeases suspended = RunLeases.shared(jdbc(), tm, Duration.ofSeconds(2), "machine-a", 4242, stopped::countDown);
		suspended.acquire("run-key");
		jdbc().update("UPDATE PB_RUN_LEASE SET HEARTBEAT = CURRENT_TIMESTAMP - INTERVAL '1 minute'");

		// when: another machine takes the run over
		RunLeases machineB = RunLeases.shared(jdbc(), tm, Duration.ofSeconds(2), "machine-b", 4343, () -> {
		});
		machineB.acquire("run-key");

		// then: the first one's next heartbeat finds the lease gone, and it is told to stop
		assertThat(stopped.await(5, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
		assertThat(machineB.heldByAnother("run-key")).isEmpty();
		suspended.close();
		machineB.close();
	}

	private static String fingerprint(int i) {
		return HexFormat.of().formatHex(java.nio.ByteBuffer.allocate(32).putInt(i).array());
	}

	private static ChatResponse answer(String text) {
		return new ChatResponse("r", "kimi-k2.5", text, null, "stop", new Usage(3, 4, 7, 0));
	}
}
