package io.promptbatch.batch.state;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.distributed.BucketProxy;
import io.github.bucket4j.distributed.jdbc.PrimaryKeyMapper;
import io.github.bucket4j.distributed.proxy.ProxyManager;
import io.github.bucket4j.postgresql.Bucket4jPostgreSQL;
import io.promptbatch.core.client.FatalChatException;
import io.promptbatch.core.limit.RateLimit;
import java.time.Duration;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Request and token rates shared by every process of a run, in the PostgreSQL state database: one Bucket4j token
 * bucket per rate and run execution (table {@value #TABLE}, created by {@link StateSchema}), taken with
 * {@code SELECT ... FOR UPDATE}. A reservation is one transaction on the database, as is a correction; the bucket
 * starts full and refills greedily, so that its capacity (the burst) plays the part of the local limiter's.
 */
public final class SharedRates {

	/** The table of the buckets, in Bucket4j's layout. */
	static final String TABLE = "PB_RATE_BUCKET";

	private static final Logger log = LoggerFactory.getLogger(SharedRates.class);

	private final ProxyManager<String> buckets;

	public SharedRates(DataSource dataSource) {
		this.buckets = Bucket4jPostgreSQL.selectForUpdateBasedBuilder(dataSource)
			.primaryKeyMapper(PrimaryKeyMapper.STRING)
			.table(TABLE)
			.idColumn("ID")
			.stateColumn("STATE")
			.expiresAtColumn("EXPIRES_AT")
			.build();
	}

	/**
	 * The rate of a run, created with its first use (by whichever process comes first) and shared from then on.
	 * @param key the rate and the run execution it belongs to ({@code rpm:42})
	 * @param perMinute units allowed per minute
	 * @param burst units that may go out at once after an idle time
	 */
	public RateLimit rate(String key, long perMinute, long burst) {
		if (perMinute < 1 || burst < 1) {
			throw new IllegalArgumentException("a shared rate needs at least 1 per minute and a burst of 1, was "
					+ perMinute + " and " + burst);
		}
		BucketConfiguration configuration = BucketConfiguration.builder()
			.addLimit(Bandwidth.builder().capacity(burst).refillGreedy(perMinute, Duration.ofMinutes(1)).build())
			.build();
		BucketProxy bucket = buckets.builder().build(key, () -> configuration);
		return new RateLimit() {

			@Override
			public Duration reserve(long cost) {
				if (cost <= 0) {
					return Duration.ZERO;
				}
				try {
					return Duration.ofNanos(bucket.consumeIgnoringRateLimits(cost));
				}
				catch (RuntimeException e) {
					// nothing is sent off the shared rate, and the row is not failed for it: the run stops, resumably
					throw new FatalChatException(0, "state_database", "could not take a turn of the run's shared rate "
							+ key + " in the state database (" + e.getMessage() + "); the run stops here, run the same "
							+ "command again", null, e);
				}
			}

			@Override
			public void adjust(long difference) {
				try {
					if (difference > 0) {
						bucket.consumeIgnoringRateLimits(difference);
					}
					else if (difference < 0) {
						bucket.addTokens(-difference);
					}
				}
				catch (RuntimeException e) {
					// the answer is in hand (and paid for): it must not be lost to a correction of the pace
					log.warn("Shared rate {}: could not correct by {} ({}); the pace errs by that much", key, difference,
							e.toString());
				}
			}

			@Override
			public String toString() {
				return "shared rate " + key + " (" + perMinute + "/min)";
			}
		};
	}
}
