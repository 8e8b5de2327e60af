package io.promptbatch.core.limit;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * Paces requests to a rate, smoothly: each request reserves its cost on a schedule, starting
 * {@code cost / rate} after the previous reservation (never before now), so that requests go out
 * evenly spaced rather than in bursts, and no window of time sees more than the rate. Costs are
 * requests (for RPM) or tokens (for TPM); a reservation can be corrected when the true cost is known.
 * Thread-safe and non-blocking: {@link #reserve} says how long to wait. The rate is this process's own.
 */
public final class RateLimiter implements RateLimit {

	private final double unitsPerNano;
	private final long maxBurstNanos;
	private final LongSupplier clock;
	private long nextFree;

	/**
	 * @param perMinute units (requests or tokens) allowed per minute
	 * @param burst units that may go out at once at the start or after an idle time (1 for strict even spacing)
	 */
	public RateLimiter(long perMinute, long burst) {
		this(perMinute, burst, System::nanoTime);
	}

	/** {@link #RateLimiter(long, long)} on the given clock (nanoseconds, as {@link System#nanoTime}). */
	public RateLimiter(long perMinute, long burst, LongSupplier clock) {
		if (perMinute < 1) {
			throw new IllegalArgumentException("rate must be at least 1 per minute, was " + perMinute);
		}
		this.unitsPerNano = perMinute / 60e9;
		this.maxBurstNanos = (long) (Math.max(0, burst - 1) / unitsPerNano);
		this.clock = clock;
		this.nextFree = clock.getAsLong() - maxBurstNanos;
	}

	/** The burst of a token rate: a second's worth of tokens, so that one request of a fair size is never held back. */
	public static long tokenBurst(long tokensPerMinute) {
		return Math.max(1, tokensPerMinute / 60);
	}

	/** The burst of a request rate: one, so that requests go out evenly spaced. */
	public static final long REQUEST_BURST = 1;

	@Override
	public synchronized Duration reserve(long cost) {
		long now = clock.getAsLong();
		long start = Math.max(nextFree, now - maxBurstNanos);
		nextFree = start + (long) (cost / unitsPerNano);
		return Duration.ofNanos(Math.max(0, start - now));
	}

	@Override
	public synchronized void adjust(long difference) {
		nextFree += (long) (difference / unitsPerNano);
	}
}
