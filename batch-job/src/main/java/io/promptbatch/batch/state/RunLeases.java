package io.promptbatch.batch.state;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
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
 * Who runs a run, when the state database is shared by several machines ({@code PB_RUN_LEASE}): the
 * process running it records its host and pid and refreshes a heartbeat; another process that finds the
 * run marked as running takes it over only once the heartbeat is older than the lease period, or at once
 * when the holder was on the same host and its pid is gone. A state directory's file lock cannot say this:
 * the holder may be on another machine.
 *
 * <p>A lease is keyed by the run's identity (Spring Batch's job key of its identifying parameters), so that
 * it is taken before the run's execution exists, and two processes starting the same run at once do not both
 * run it. Times are the database's, so the machines' clocks need not agree.
 */
public final class RunLeases implements AutoCloseable {

	/** The process holding a run, and for how long it has been silent. */
	public record Holder(String host, long pid, long silentSeconds) {
	}

	/** A run's lease, held until closed. */
	public interface Lease extends AutoCloseable {

		@Override
		void close();
	}

	/** A run's lease is held by another live process. */
	public static final class HeldException extends RuntimeException {

		private static final long serialVersionUID = 1L;

		private final transient Holder holder;

		HeldException(Holder holder) {
			super("held by " + holder.host() + " (pid " + holder.pid() + ")");
			this.holder = holder;
		}

		public Holder holder() {
			return holder;
		}
	}

	private static final Logger log = LoggerFactory.getLogger(RunLeases.class);

	private static final Lease NO_LEASE = () -> {
	};

	/** The shared database the leases are kept in, and its transactions. */
	private record Store(JdbcTemplate jdbc, TransactionTemplate transactions) {
	}

	/** Null for no leases (an H2 file, used by one process at a time). */
	private final @Nullable Store store;
	private final Duration period;
	private final String host;
	private final long pid;
	private final String owner = UUID.randomUUID().toString();
	private final Runnable onLost;
	private @Nullable ScheduledExecutorService heartbeats;

	private RunLeases(@Nullable Store store, Duration period, String host, long pid, Runnable onLost) {
		this.store = store;
		this.onLost = onLost;
		this.period = period;
		this.host = host;
		this.pid = pid;
	}

	/** How long a holder may be silent before its run is taken over. */
	public Duration period() {
		return period;
	}

	/** No leases: the H2 file of a state directory, used by the one process that holds the directory's lock. */
	public static RunLeases none() {
		return new RunLeases(null, Duration.ofSeconds(1), "", 0, () -> {
		});
	}

	/**
	 * Leases on a shared state database, held by this process.
	 * @param onLost called when a lease this process holds was taken over by another (this one was silent for
	 *     longer than the lease period, say a machine suspended): the run here must stop
	 */
	public static RunLeases shared(JdbcTemplate jdbc, PlatformTransactionManager transactionManager, Duration period,
			Runnable onLost) {
		return shared(jdbc, transactionManager, period, localHost(), ProcessHandle.current().pid(), onLost);
	}

	/** Leases held as the given host and pid (a test stands for a process on another machine). */
	static RunLeases shared(JdbcTemplate jdbc, PlatformTransactionManager transactionManager, Duration period,
			String host, long pid, Runnable onLost) {
		return new RunLeases(new Store(jdbc, new TransactionTemplate(transactionManager)), period, host, pid, onLost);
	}

	/** The name of this machine, as leases record it. */
	public static String localHost() {
		try {
			return InetAddress.getLocalHost().getHostName();
		}
		catch (UnknownHostException e) {
			String name = System.getenv("HOSTNAME");
			return name == null || name.isBlank() ? "unknown-host" : name;
		}
	}

	/**
	 * Takes the lease of a run, taking it over from a holder that is gone, and refreshes it until closed.
	 * @param key the run's identity (its job key)
	 * @throws HeldException when another process holds it and has shown a sign of life within the lease period
	 */
	public Lease acquire(String key) {
		Store shared = store;
		if (shared == null) {
			return NO_LEASE;
		}
		JdbcTemplate db = shared.jdbc();
		Holder taken = shared.transactions().execute(status -> {
			int inserted = db.update("INSERT INTO PB_RUN_LEASE (JOB_KEY, OWNER, HOST, PID, HEARTBEAT) VALUES (?, ?, ?, ?, "
					+ "CURRENT_TIMESTAMP) ON CONFLICT (JOB_KEY) DO NOTHING", key, owner, host, pid);
			if (inserted == 1) {
				return null;
			}
			Row row = db.queryForObject("SELECT OWNER, HOST, PID, EXTRACT(EPOCH FROM (CURRENT_TIMESTAMP - HEARTBEAT)) "
					+ "FROM PB_RUN_LEASE WHERE JOB_KEY = ? FOR UPDATE", Row.MAPPER, key);
			if (row != null && live(row)) {
				throw new HeldException(row.holder());
			}
			db.update("UPDATE PB_RUN_LEASE SET OWNER = ?, HOST = ?, PID = ?, HEARTBEAT = CURRENT_TIMESTAMP WHERE JOB_KEY = ?",
					owner, host, pid, key);
			return row == null || row.owner().equals(owner) ? null : row.holder();
		});
		if (taken != null) {
			log.warn("Taking over the run held by {} (pid {}), silent for {} s", taken.host(), taken.pid(),
					taken.silentSeconds());
		}
		long every = Math.max(200, Math.min(10_000, period.toMillis() / 3));
		ScheduledFuture<?> beat = heartbeats().scheduleWithFixedDelay(() -> beat(key), every, every, TimeUnit.MILLISECONDS);
		return () -> {
			beat.cancel(false);
			try {
				db.update("DELETE FROM PB_RUN_LEASE WHERE JOB_KEY = ? AND OWNER = ?", key, owner);
			}
			catch (RuntimeException e) {
				log.warn("Could not give up the lease of the run: {}", e.toString());
			}
		};
	}

	/** The live process other than this one that holds a run's lease, if any. */
	public Optional<Holder> heldByAnother(String key) {
		Store shared = store;
		if (shared == null) {
			return Optional.empty();
		}
		List<Row> rows = shared.jdbc().query("SELECT OWNER, HOST, PID, EXTRACT(EPOCH FROM (CURRENT_TIMESTAMP - HEARTBEAT)) FROM "
				+ "PB_RUN_LEASE WHERE JOB_KEY = ?", Row.MAPPER, key);
		return rows.stream().filter(this::live).map(Row::holder).findFirst();
	}

	/** Whether a lease row is another process's that may still be running. */
	private boolean live(Row row) {
		if (row.owner().equals(owner)) {
			return false;
		}
		if (row.host().equals(host) && ProcessHandle.of(row.pid()).map(p -> !p.isAlive()).orElse(true)) {
			return false;
		}
		return row.silentMillis() < period.toMillis();
	}

	private void beat(String key) {
		try {
			Store shared = store;
			if (shared != null && shared.jdbc().update("UPDATE PB_RUN_LEASE SET HEARTBEAT = CURRENT_TIMESTAMP WHERE JOB_KEY = ? AND "
					+ "OWNER = ?", key, owner) == 0) {
				log.warn("The run's lease was taken over by another process after this one was silent for longer "
						+ "than {} s; stopping the run here", period.toSeconds());
				onLost.run();
			}
		}
		catch (RuntimeException e) {
			log.warn("Could not refresh the run's lease: {}", e.toString());
		}
	}

	private synchronized ScheduledExecutorService heartbeats() {
		if (heartbeats == null) {
			heartbeats = Executors.newSingleThreadScheduledExecutor(r -> {
				Thread t = new Thread(r, "promptbatch-lease");
				t.setDaemon(true);
				return t;
			});
		}
		return heartbeats;
	}

	@Override
	public synchronized void close() {
		if (heartbeats != null) {
			heartbeats.shutdownNow();
		}
	}

	private record Row(String owner, String host, long pid, long silentMillis) {

		static final org.springframework.jdbc.core.RowMapper<Row> MAPPER = (rs, i) -> new Row(rs.getString(1),
				rs.getString(2), rs.getLong(3), Math.round(rs.getDouble(4) * 1000));

		Holder holder() {
			return new Holder(host, pid, silentMillis / 1000);
		}
	}
}
