package io.promptbatch.batch.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.promptbatch.core.client.FatalChatException;
import io.promptbatch.core.limit.ConcurrencyLimit;
import io.promptbatch.core.limit.RateLimit;
import io.promptbatch.testsupport.PostgresServer;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.SimpleDriverDataSource;

/**
 * The limits a run's partitions share on a real PostgreSQL server: its rates ({@link SharedRates}), its concurrency
 * and its budget ({@link RunShares}), each process with its own connections, as processes on several machines.
 */
class RunLimitsIntegrationTests {

	private PostgresServer server;

	private String database;

	private final java.util.List<RunShares> opened = new java.util.ArrayList<>();

	private final java.util.List<com.zaxxer.hikari.HikariDataSource> pools = new java.util.ArrayList<>();

	@BeforeEach
	void database() throws Exception {
		server = PostgresServer.shared();
		database = server.newDatabase();
		new StateSchema(dataSource(), "test").afterPropertiesSet();
	}

	@AfterEach
	void close() {
		opened.forEach(RunShares::close);
		pools.forEach(com.zaxxer.hikari.HikariDataSource::close);
	}

	/** A pool of connections, as each process has. */
	private com.zaxxer.hikari.HikariDataSource pool() {
		com.zaxxer.hikari.HikariDataSource pool = new com.zaxxer.hikari.HikariDataSource();
		pool.setJdbcUrl(server.url(database));
		pool.setUsername(server.user());
		pool.setPassword(server.password());
		pool.setMaximumPoolSize(2);
		pools.add(pool);
		return pool;
	}

	private SimpleDriverDataSource dataSource() {
		return new SimpleDriverDataSource(new org.postgresql.Driver(), server.url(database), server.user(),
				server.password());
	}

	/** The shares as one process holds them, on connections of its own, with a lease of 2 s. */
	private RunShares process() {
		SimpleDriverDataSource ds = dataSource();
		RunShares shares = new RunShares(new JdbcTemplate(ds), new DataSourceTransactionManager(ds), Duration.ofSeconds(2));
		opened.add(shares);
		return shares;
	}

	@Test
	void aRateWhoseDatabaseIsGoneStopsTheRunOnATurnAndNeverLosesAnAnswerToACorrection() {
		// given: a shared rate in use, then its connections gone (the database unreachable)
		com.zaxxer.hikari.HikariDataSource pool = pool();
		RateLimit rate = new SharedRates(pool).rate("tpm:9", 60_000, 1_000);
		rate.reserve(100);
		pool.close();

		// then: a correction after an answer (paid for) does not throw, so the answer is kept
		rate.adjust(50);
		rate.adjust(-50);
		// and a turn fails as fatal (the run stops, resumably), not as a failure of the row
		assertThatThrownBy(() -> rate.reserve(1)).isInstanceOf(FatalChatException.class)
			.hasMessageContaining("tpm:9")
			.hasMessageContaining("run the same command again");
	}

	@Test
	void twoProcessesReservingFromTheSameRatePaceAsOne() {
		// given: a rate of 600 a minute (one each 100 ms) used by two processes
		RateLimit a = new SharedRates(pool()).rate("rpm:1", 600, 1);
		RateLimit b = new SharedRates(pool()).rate("rpm:1", 600, 1);
		long first = System.nanoTime();
		a.reserve(1);
		b.reserve(1);

		// when: they take 20 reservations in turn, at once
		long start = System.nanoTime();
		Duration last = Duration.ZERO;
		for (int i = 0; i < 10; i++) {
			a.reserve(1);
			last = b.reserve(1);
		}
		long end = System.nanoTime();
		double millisEach = (end - start) / 1e6 / 20;
		long sinceFirst = (end - first) / 1_000_000;

		// then: the last (the 22nd) waits for the 21 before it, 2.1 s after the first, less the time since
		System.out.printf("shared rate: %.2f ms per reservation (PostgreSQL on 127.0.0.1)%n", millisEach);
		assertThat(last.toMillis()).isBetween(2100 - sinceFirst - 20, 2100L);
		// and: another rate of another run is not touched
		assertThat(new SharedRates(pool()).rate("rpm:2", 600, 1).reserve(1)).isZero();
	}

	@Test
	void aTokenRateIsCorrectedByTheTokensTheProviderReported() throws Exception {
		// given: 60,000 tokens a minute (1,000 a second), a burst of 1,000, shared by two processes
		com.zaxxer.hikari.HikariDataSource other = pool();
		RateLimit a = new SharedRates(pool()).rate("tpm:1", 60_000, 1_000);
		RateLimit b = new SharedRates(other).rate("tpm:1", 60_000, 1_000);
		// the other process's connection opened before the clock starts (a login can take a while on a busy machine)
		other.getConnection().close();

		// when: one reserves 3,000 tokens and gives back 1,000 it did not use
		long start = System.nanoTime();
		a.reserve(3_000);
		a.adjust(-1_000);
		Duration next = b.reserve(500);
		long elapsed = (System.nanoTime() - start) / 1_000_000;

		// then: the other's 500 wait until the 1,500 tokens owed beyond the burst are refilled: 1.5 s after the first
		// reservation (less the time since), not the 2.5 s they would wait without the correction
		assertThat(next.toMillis()).isBetween(1500 - elapsed - 20, 1500L);
	}

	@Test
	void partitionsSplitTheConcurrencyAndOneThatJoinsWaitsUntilTheOthersGiveUpSlots() {
		// given: a run of --concurrency 6 whose first partition holds all 6 slots
		RunShares first = process();
		RunShares second = process();
		ConcurrencyLimit a = ConcurrencyLimit.fixed(6);
		ConcurrencyLimit b = ConcurrencyLimit.fixed(6);
		RunShares.Share shareA = first.join(7, 100, 6, a);
		assertThat(a.max()).isEqualTo(6);

		// when: a second partition joins
		RunShares.Share shareB = second.join(7, 101, 6, b);

		// then: it gets nothing until the first gives up its half, then its half
		assertThat(b.max()).isZero();
		shareA.refresh();
		assertThat(a.max()).isEqualTo(3);
		shareB.refresh();
		assertThat(b.max()).isEqualTo(3);
		// and: once the first is done, the second takes the whole again
		shareA.close();
		shareB.refresh();
		assertThat(b.max()).isEqualTo(6);
	}

	@Test
	void aPartitionGivingUpSlotsHoldsThoseStillInFlightUntilTheyLand() throws Exception {
		// given: a run of --concurrency 4 whose first partition has all 4 slots in flight, and a second that joined
		ConcurrencyLimit a = ConcurrencyLimit.fixed(4);
		RunShares.Share held = process().join(8, 201, 4, a);
		for (int i = 0; i < 4; i++) {
			a.acquire();
		}
		ConcurrencyLimit b = ConcurrencyLimit.fixed(4);
		RunShares.Share shareB = process().join(8, 202, 4, b);
		assertThat(b.max()).isZero();

		// when: the first gives up half of its slots while all 4 are still in flight
		held.refresh();

		// then: it takes no new request beyond 2, and the newcomer gets none of the 4 still in flight
		assertThat(a.max()).isEqualTo(2);
		shareB.refresh();
		assertThat(b.max()).isZero();
		// and: once two have landed, the newcomer gets them
		a.release();
		a.release();
		held.refresh();
		shareB.refresh();
		assertThat(b.max()).isEqualTo(2);
	}

	@Test
	void aKilledWorkersSlotsAndReservationsLapseAfterTheLease() {
		// given: a killed worker's share, holding all 6 slots and $0.90 of a $1 budget, silent for 3 s (lease: 2 s)
		RunShares shares = process();
		shares.openBudget(9, new BigDecimal("1.00"), BigDecimal.ZERO);
		JdbcTemplate db = new JdbcTemplate(dataSource());
		db.update("INSERT INTO PB_RUN_SHARE (JOB_EXECUTION_ID, STEP_EXECUTION_ID, SLOTS, RESERVED_USD, HEARTBEAT) VALUES "
				+ "(9, 300, 6, 0.90, CURRENT_TIMESTAMP - INTERVAL '3 seconds')");

		// when: a live partition joins
		ConcurrencyLimit limit = ConcurrencyLimit.fixed(6);
		RunShares.Share live = shares.join(9, 301, 6, limit);

		// then: it has all the slots and the whole budget
		assertThat(limit.max()).isEqualTo(6);
		assertThat(live.reserve(new BigDecimal("0.95"))).isTrue();
		assertThat(db.queryForList("SELECT STEP_EXECUTION_ID FROM PB_RUN_SHARE WHERE JOB_EXECUTION_ID = 9", Long.class))
			.containsExactly(301L);
	}

	@Test
	void theBudgetIsOneForAllPartitionsAndOnceReachedItIsReachedForEach() {
		// given: a run's budget of $1.00, $0.20 of it spent by an earlier execution, and two partitions
		RunShares shares = process();
		shares.openBudget(10, new BigDecimal("1.00"), new BigDecimal("0.20"));
		shares.openBudget(10, new BigDecimal("5.00"), BigDecimal.ZERO);
		RunShares.Share a = shares.join(10, 400, 4, ConcurrencyLimit.fixed(4));
		RunShares.Share b = process().join(10, 401, 4, ConcurrencyLimit.fixed(4));

		// when: one reserves $0.50, answered for $0.30; the other reserves $0.45, then $0.10
		assertThat(a.reserve(new BigDecimal("0.50"))).isTrue();
		a.settle(new BigDecimal("0.50"), new BigDecimal("0.30"));
		boolean fits = b.reserve(new BigDecimal("0.45"));
		boolean crosses = b.reserve(new BigDecimal("0.10"));

		// then: 0.20 + 0.30 + 0.45 fit, the next $0.10 would cross $1.00, and from then on nothing fits anywhere
		assertThat(fits).isTrue();
		assertThat(crosses).isFalse();
		assertThat(a.reserve(new BigDecimal("0.01"))).isFalse();
		assertThat(a.spent()).isEqualByComparingTo("0.50");
	}

	@Test
	void aDatabaseCreatedBeforeTheSharedLimitsGainsTheirTables() throws Exception {
		// given: a state database of schema version 1 without the tables of the shared limits
		JdbcTemplate db = new JdbcTemplate(dataSource());
		for (String table : List.of("PB_RATE_BUCKET", "PB_RUN_LIMIT", "PB_RUN_SHARE")) {
			db.execute("DROP TABLE " + table);
		}

		// when: promptbatch starts on it
		new StateSchema(dataSource(), "test").afterPropertiesSet();

		// then: it has them, and is still version 1
		for (String table : List.of("pb_rate_bucket", "pb_run_limit", "pb_run_share")) {
			assertThat(db.queryForObject("SELECT to_regclass(?) IS NOT NULL", Boolean.class, table)).as(table).isTrue();
		}
		assertThat(db.queryForObject("SELECT MAX(VERSION) FROM PB_SCHEMA_VERSION", Integer.class)).isEqualTo(1);
	}
}
