package io.promptbatch.core.limit;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * Paces requests to a rate, smoothly: each request reserves its cost on a schedule, starting
 * {@code cost / rate} after the previous reservation (never before now), so that requests go out
 * evenly spaced rather than in bursts, and no window of time sees more than the rate. Costs are
 * requests (for RPM) or tokens (for TPM); a reservation can be corrected when the true cost is known.
 * Thread-safe and non-blocking: {@link #reserve} says how long to wait.
 */
public final class RateLimiter {

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

	/** Reserves {@code cost} units; returns how long to wait before using them. */
	public synchronized Duration reserve(long cost) {
		long now = clock.getAsLong();
		long start = Math.max(nextFree, now - maxBurstNanos);
		nextFree = start + (long) (cost / unitsPerNano);
		return Duration.ofNanos(Math.max(0, start - now));
	}

	/** Corrects a reservation by the difference between the true and the reserved cost (may be negative). */
	public synchronized void adjust(long difference) {
		nextFree += (long) (difference / unitsPerNano);
	}
}
