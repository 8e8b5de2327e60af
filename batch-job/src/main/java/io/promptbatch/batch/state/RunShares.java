package io.promptbatch.batch.state;

import io.promptbatch.core.limit.ConcurrencyLimit;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * A run's concurrency and budget, held together by the partitions that run it, in the PostgreSQL state database.
 *
 * <p>Each running partition holds a row of {@code PB_RUN_SHARE} with its slots (requests it may have in flight) and
 * the worst cases it has reserved under the budget, and refreshes its heartbeat every second. A partition's slots are
 * its share of the run's {@code --concurrency}, split evenly among the partitions running (the first ones taking one
 * more when it does not divide), and never more than the run's concurrency less what the others hold: a partition
 * that joins waits for the others to give up slots, and one that gives some up holds them until its requests beyond
 * them have landed. A row whose heartbeat is older than the lease is a killed worker's: it is deleted, and its slots
 * and reservations with it (by then its partition is being taken over).
 *
 * <p>The budget of a run execution ({@code PB_RUN_LIMIT}) holds what was spent; a request is sent only when what was
 * spent, what the live partitions reserved and its own worst case stay within the budget. Once a request did not fit,
 * the budget is reached for every partition.
 */
public final class RunShares implements AutoCloseable {

	/** How often a partition refreshes its share, at most. */
	static final Duration REFRESH = Duration.ofSeconds(1);

	/** The first key of the advisory lock a run's shares are changed under ("pbsh" in ASCII); the second is the run's. */
	private static final int LOCK = 0x70627368;

	private static final Logger log = LoggerFactory.getLogger(RunShares.class);

	private final JdbcTemplate jdbc;
	private final TransactionTemplate transactions;
	private final Duration lease;
	private final Duration refresh;
	private @Nullable ScheduledExecutorService timer;

	/**
	 * @param lease how long a partition may go without a heartbeat before its share is taken for a killed worker's
	 */
	public RunShares(JdbcTemplate jdbc, PlatformTransactionManager transactionManager, Duration lease) {
		this.jdbc = jdbc;
		this.transactions = new TransactionTemplate(transactionManager);
		this.lease = lease;
		this.refresh = Duration.ofMillis(Math.max(100, Math.min(REFRESH.toMillis(), lease.toMillis() / 3)));
	}

	/**
	 * Opens the budget of a run execution, once (a second call changes nothing).
	 * @param spentBefore what the run's earlier executions spent (their partitions' committed rows)
	 */
	public void openBudget(long jobExecutionId, BigDecimal budget, BigDecimal spentBefore) {
		jdbc.update("INSERT INTO PB_RUN_LIMIT (JOB_EXECUTION_ID, BUDGET_USD, SPENT_USD) VALUES (?, ?, ?) ON CONFLICT "
				+ "(JOB_EXECUTION_ID) DO NOTHING", jobExecutionId, budget, spentBefore);
	}

	/**
	 * Joins a partition to its run's shares: its first share of the concurrency is given to {@code limit} before this
	 * returns, and it is refreshed every second until the share is closed.
	 * @param concurrency the run's {@code --concurrency}, shared by its partitions
	 * @param limit the partition's limit of requests in flight, at most its own cap
	 */
	public Share join(long jobExecutionId, long stepExecutionId, int concurrency, ConcurrencyLimit limit) {
		Share share = new Share(jobExecutionId, stepExecutionId, concurrency, limit.max(), limit);
		share.refresh();
		share.task = timer().scheduleWithFixedDelay(share::refreshQuietly, refresh.toMillis(), refresh.toMillis(),
				TimeUnit.MILLISECONDS);
		return share;
	}

	/**
	 * A partition's slots: an even split of the run's concurrency among the partitions running, within what the
	 * others hold now and the partition's own cap; at least one each when more partitions run than the concurrency.
	 * @param holders the partitions running, this one included
	 * @param rank this partition's place among them (0 for the first)
	 * @param othersHold the slots the other partitions hold now
	 */
	static int slots(int concurrency, int cap, int holders, int rank, int othersHold) {
		if (holders > concurrency) {
			return 1;
		}
		int fair = concurrency / holders + (rank < concurrency % holders ? 1 : 0);
		return Math.max(0, Math.min(cap, Math.min(fair, concurrency - othersHold)));
	}

	private synchronized ScheduledExecutorService timer() {
		if (timer == null) {
			timer = Executors.newSingleThreadScheduledExecutor(r -> {
				Thread t = new Thread(r, "promptbatch-run-share");
				t.setDaemon(true);
				return t;
			});
		}
		return timer;
	}

	@Override
	public synchronized void close() {
		if (timer != null) {
			timer.shutdownNow();
		}
	}

	/** One partition's hold on its run's concurrency and budget; closed when the partition's requests have landed. */
	public final class Share implements AutoCloseable {

		private final long run;
		private final long step;
		private final int concurrency;
		private final int cap;
		private final ConcurrencyLimit limit;
		private volatile @Nullable ScheduledFuture<?> task;
		private boolean closed;

		private Share(long run, long step, int concurrency, int cap, ConcurrencyLimit limit) {
			this.run = run;
			this.step = step;
			this.concurrency = concurrency;
			this.cap = cap;
			this.limit = limit;
		}

		/** The slots this partition may have in flight now. */
		public int slots() {
			return limit.max();
		}

		/** Takes this partition's share again from the partitions running now, and refreshes its heartbeat. */
		synchronized void refresh() {
			if (closed) {
				return;
			}
			Integer raised = transactions.execute(status -> {
				jdbc.queryForList("SELECT pg_advisory_xact_lock(?, ?)", LOCK, (int) run);
				jdbc.update("DELETE FROM PB_RUN_SHARE WHERE JOB_EXECUTION_ID = ? AND STEP_EXECUTION_ID <> ? AND HEARTBEAT < "
						+ "CURRENT_TIMESTAMP - ? * INTERVAL '1 millisecond'", run, step, lease.toMillis());
				List<long[]> rows = jdbc.query("SELECT STEP_EXECUTION_ID, SLOTS FROM PB_RUN_SHARE WHERE JOB_EXECUTION_ID = ? "
						+ "ORDER BY STEP_EXECUTION_ID", (rs, i) -> new long[] { rs.getLong(1), rs.getLong(2) }, run);
				int holders = 1;
				int rank = 0;
				int othersHold = 0;
				for (long[] row : rows) {
					if (row[0] == step) {
						continue;
					}
					holders++;
					rank += row[0] < step ? 1 : 0;
					othersHold += (int) row[1];
				}
				int slots = RunShares.slots(concurrency, cap, holders, rank, othersHold);
				boolean lower = slots < limit.max();
				if (lower) {
					// fewer slots from now on, before the slots held are written: requests beyond them still count
					limit.resize(slots);
				}
				int held = Math.max(slots, limit.inFlight());
				jdbc.update("INSERT INTO PB_RUN_SHARE (JOB_EXECUTION_ID, STEP_EXECUTION_ID, SLOTS, RESERVED_USD, HEARTBEAT) "
						+ "VALUES (?, ?, ?, 0, CURRENT_TIMESTAMP) ON CONFLICT (JOB_EXECUTION_ID, STEP_EXECUTION_ID) DO UPDATE "
						+ "SET SLOTS = EXCLUDED.SLOTS, HEARTBEAT = EXCLUDED.HEARTBEAT", run, step, held);
				return lower ? null : slots;
			});
			if (raised != null && raised != limit.max()) {
				// more slots only once the others have seen them held
				limit.resize(raised);
			}
		}

		private void refreshQuietly() {
			try {
				refresh();
			}
			catch (RuntimeException e) {
				log.warn("Could not refresh this partition's share of the run's limits (keeping {} slots): {}", slots(),
						e.toString());
			}
		}

		/**
		 * Reserves a request's worst case under the run's budget.
		 * @return false when it could cross the budget (which is then reached for every partition)
		 */
		public boolean reserve(BigDecimal worst) {
			Boolean reserved = transactions.execute(status -> {
				List<Object[]> budget = jdbc.query("SELECT BUDGET_USD, SPENT_USD, REACHED FROM PB_RUN_LIMIT WHERE "
						+ "JOB_EXECUTION_ID = ? FOR UPDATE", (rs, i) -> new Object[] { rs.getBigDecimal(1), rs.getBigDecimal(2),
								rs.getBoolean(3) }, run);
				if (budget.isEmpty()) {
					throw new IllegalStateException("run execution " + run + " has no budget in the state database");
				}
				BigDecimal held = jdbc.queryForObject("SELECT COALESCE(SUM(RESERVED_USD), 0) FROM PB_RUN_SHARE WHERE "
						+ "JOB_EXECUTION_ID = ? AND (STEP_EXECUTION_ID = ? OR HEARTBEAT >= CURRENT_TIMESTAMP - ? * INTERVAL "
						+ "'1 millisecond')", BigDecimal.class, run, step, lease.toMillis());
				Object[] b = budget.get(0);
				BigDecimal limitUsd = (BigDecimal) b[0];
				BigDecimal spent = (BigDecimal) b[1];
				if (Boolean.TRUE.equals(b[2]) || spent.add(held == null ? BigDecimal.ZERO : held).add(worst)
					.compareTo(limitUsd) > 0) {
					jdbc.update("UPDATE PB_RUN_LIMIT SET REACHED = TRUE WHERE JOB_EXECUTION_ID = ?", run);
					return false;
				}
				jdbc.update("INSERT INTO PB_RUN_SHARE (JOB_EXECUTION_ID, STEP_EXECUTION_ID, SLOTS, RESERVED_USD, HEARTBEAT) "
						+ "VALUES (?, ?, ?, ?, CURRENT_TIMESTAMP) ON CONFLICT (JOB_EXECUTION_ID, STEP_EXECUTION_ID) DO UPDATE SET "
						+ "RESERVED_USD = PB_RUN_SHARE.RESERVED_USD + EXCLUDED.RESERVED_USD", run, step, slots(), worst);
				return true;
			});
			return Boolean.TRUE.equals(reserved);
		}

		/**
		 * Replaces a reservation by what the answer actually cost (zero for a failed request): one statement, which
		 * locks the run's budget before the partition's share, in the order {@link #reserve} does (the other order
		 * deadlocks with a reservation of the same partition).
		 */
		public void settle(BigDecimal worst, BigDecimal actual) {
			jdbc.update("WITH SPENT AS (UPDATE PB_RUN_LIMIT SET SPENT_USD = SPENT_USD + ? WHERE JOB_EXECUTION_ID = ? "
					+ "RETURNING JOB_EXECUTION_ID) UPDATE PB_RUN_SHARE S SET RESERVED_USD = GREATEST(0, S.RESERVED_USD - ?) "
					+ "FROM SPENT WHERE S.JOB_EXECUTION_ID = SPENT.JOB_EXECUTION_ID AND S.STEP_EXECUTION_ID = ?", actual, run,
					worst, step);
		}

		/** What the run has spent so far, all partitions together. */
		public BigDecimal spent() {
			BigDecimal spent = jdbc.queryForObject("SELECT SPENT_USD FROM PB_RUN_LIMIT WHERE JOB_EXECUTION_ID = ?",
					BigDecimal.class, run);
			return spent == null ? BigDecimal.ZERO : spent;
		}

		/** Gives the share up: its slots and reservations go back to the run. */
		@Override
		public synchronized void close() {
			if (closed) {
				return;
			}
			closed = true;
			ScheduledFuture<?> t = task;
			if (t != null) {
				t.cancel(false);
			}
			try {
				jdbc.update("DELETE FROM PB_RUN_SHARE WHERE JOB_EXECUTION_ID = ? AND STEP_EXECUTION_ID = ?", run, step);
			}
			catch (RuntimeException e) {
				log.warn("Could not give up this partition's share of the run's limits (it lapses after the lease): {}",
						e.toString());
			}
		}
	}
}
