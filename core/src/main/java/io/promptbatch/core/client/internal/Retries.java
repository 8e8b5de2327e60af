package io.promptbatch.core.client.internal;

import dev.failsafe.RetryPolicy;
import io.promptbatch.core.client.ChatException;
import io.promptbatch.core.client.RetriableChatException;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client's one retry policy, for chat requests and token counts alike: a
 * {@link RetriableChatException} is retried up to the retry limit and the time cap, after the delay the
 * provider asked for ({@code Retry-After}, spread by up to a fifth) or else an exponential backoff with
 * full jitter; each retry is logged at WARN with its attempt count and delay.
 *
 * @param initialBackoff the first backoff cap, doubled per attempt up to {@code maxBackoff}
 * @param maxBackoff the highest backoff cap
 */
public record Retries(Duration initialBackoff, Duration maxBackoff) {

	private static final Logger log = LoggerFactory.getLogger(Retries.class);

	/**
	 * @param maxRetries retries after the first attempt
	 * @param maxTime time after which nothing is retried any more
	 * @param initialBackoff the first backoff cap, doubled per attempt up to {@code maxBackoff}
	 */
	public static RetryPolicy<Object> policy(int maxRetries, Duration maxTime, Duration initialBackoff,
			Duration maxBackoff) {
		Retries retries = new Retries(initialBackoff, maxBackoff);
		return RetryPolicy.builder()
			.handle(RetriableChatException.class)
			.withMaxRetries(maxRetries)
			.withMaxDuration(maxTime)
			.withDelayFn(ctx -> retries.delay(ctx.getLastException(), ctx.getAttemptCount()))
			.onRetryScheduled(e -> {
				Throwable last = e.getLastException();
				log.warn("Retrying request in {} ms (attempt {} of {}): {}", e.getDelay().toMillis(),
						e.getAttemptCount() + 1, maxRetries + 1,
						last instanceof ChatException ce ? ce.describe() : String.valueOf(last));
			})
			.build();
	}

	/** The wait before the next attempt, after {@code attemptsSoFar} attempts that ended with {@code last}. */
	Duration delay(@Nullable Throwable last, int attemptsSoFar) {
		if (last instanceof ChatException ce && ce.retryAfter() != null) {
			Duration asked = ce.retryAfter();
			// never earlier than asked; spread by up to 20% so that waiting requests do not return together
			long spread = (long) (asked.toMillis() * 0.2 * ThreadLocalRandom.current().nextDouble());
			return asked.plusMillis(spread);
		}
		long cap = initialBackoff.toMillis() << Math.min(20, Math.max(0, attemptsSoFar - 1));
		cap = Math.min(cap, maxBackoff.toMillis());
		return Duration.ofMillis(ThreadLocalRandom.current().nextLong(cap + 1));
	}
}
