package io.promptbatch.batch.partition;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;

/**
 * Signs of life of running partitions apart from their commits ({@code PB_PARTITION_HEARTBEAT}, one row per step
 * execution): a worker refreshes its partition's row every third of the lease while the step runs, so that a
 * partition slower between two commits than the lease (slow answers, long {@code Retry-After} waits) is not taken for
 * dead. The beat is its own table's, never {@code BATCH_STEP_EXECUTION}'s: that row's version is what fences a worker
 * taken for dead out of the partition it lost.
 */
public final class PartitionHeartbeats implements AutoCloseable {

	private static final Logger log = LoggerFactory.getLogger(PartitionHeartbeats.class);

	/** A partition's lease as its manager keeps it (ms), in its step execution context: the worker beats a third of it. */
	public static final String LEASE_MS = "partition.lease.ms";

	private final JdbcTemplate jdbc;
	private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
		Thread t = new Thread(r, "promptbatch-partition-heartbeat");
		t.setDaemon(true);
		return t;
	});

	public PartitionHeartbeats(DataSource dataSource) {
		this.jdbc = new JdbcTemplate(dataSource);
	}

	/** A partition's heartbeat, until closed. */
	public interface Beating extends AutoCloseable {

		@Override
		void close();
	}

	/** Beats for a step execution every {@code every} from now until closed, when the row goes. */
	public Beating beat(long stepExecutionId, Duration every) {
		beatOnce(stepExecutionId);
		ScheduledFuture<?> beats = timer.scheduleWithFixedDelay(() -> beatOnce(stepExecutionId), every.toMillis(),
				every.toMillis(), TimeUnit.MILLISECONDS);
		return () -> {
			beats.cancel(false);
			try {
				jdbc.update("DELETE FROM PB_PARTITION_HEARTBEAT WHERE STEP_EXECUTION_ID = ?", stepExecutionId);
			}
			catch (RuntimeException e) {
				log.warn("Could not remove the heartbeat of step execution {}: {}", stepExecutionId, e.toString());
			}
		};
	}

	private void beatOnce(long stepExecutionId) {
		try {
			jdbc.update("INSERT INTO PB_PARTITION_HEARTBEAT (STEP_EXECUTION_ID, BEAT) VALUES (?, CURRENT_TIMESTAMP) "
					+ "ON CONFLICT (STEP_EXECUTION_ID) DO UPDATE SET BEAT = CURRENT_TIMESTAMP", stepExecutionId);
		}
		catch (RuntimeException e) {
			log.warn("Could not refresh the heartbeat of step execution {}: {}", stepExecutionId, e.toString());
		}
	}

	/**
	 * The last beat of each of these step executions that has one, as microseconds of the database's clock: a value
	 * that changed since the last look is a sign of life (the values are compared with each other, never with a clock).
	 */
	public Map<Long, Long> last(Collection<Long> stepExecutionIds) {
		Map<Long, Long> beats = new HashMap<>();
		if (stepExecutionIds.isEmpty()) {
			return beats;
		}
		new NamedParameterJdbcTemplate(jdbc).query("SELECT STEP_EXECUTION_ID, (EXTRACT(EPOCH FROM BEAT) * 1000000)::BIGINT "
				+ "FROM PB_PARTITION_HEARTBEAT WHERE STEP_EXECUTION_ID IN (:ids)", Map.of("ids", stepExecutionIds),
				rs -> {
					beats.put(rs.getLong(1), rs.getLong(2));
				});
		return beats;
	}

	@Override
	public void close() {
		timer.shutdownNow();
	}
}
