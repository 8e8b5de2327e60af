package io.promptbatch.core.limit;

import java.time.Duration;

/**
 * A rate that requests are paced to: each reserves its cost (requests or tokens) and is told how long to wait
 * before it goes out; a reservation can be corrected once the true cost is known. {@link RateLimiter} keeps the
 * rate in this process; another implementation may share one rate among processes. Thread-safe.
 */
public interface RateLimit {

	/** Reserves {@code cost} units; returns how long to wait before using them. */
	Duration reserve(long cost);

	/** Corrects a reservation by the difference between the true and the reserved cost (may be negative). */
	void adjust(long difference);
}
