package io.promptbatch.core.limit;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * How many requests may be in flight at once: a fixed number, or one that adapts to what the provider
 * takes. The adaptive limit is additive-increase, multiplicative-decrease with a memory:
 * <ul>
 * <li>it starts at 4 and grows by one per two rounds of successes while the limit is in use (slow start
 * until the provider first pushes back);</li>
 * <li>when the provider says it is overloaded (429 other than quota, 503) it shrinks by a fifth at once,
 * at most once per cool-down, and remembers the limit that was too many (the ceiling);</li>
 * <li>below the ceiling it grows back one step per cool-down, so it returns to the last limit that
 * worked within a second;</li>
 * <li>reaching the ceiling again is a probe, allowed only after a probe interval that doubles each time a
 * probe at the same ceiling is refused (1 s up to 16 s): a provider with a hard limit sees a refused
 * probe every 16 s at most, and the limit spends its time just below the ceiling rather than oscillating
 * under it. A probe that holds clears the ceiling, and growth goes on at one step per two cool-downs.</li>
 * </ul>
 * Thread-safe.
 */
public final class ConcurrencyLimit {

	private static final long FIRST_PROBE_NANOS = TimeUnit.SECONDS.toNanos(1);

	private static final long MAX_PROBE_NANOS = TimeUnit.SECONDS.toNanos(16);

	private final ReentrantLock lock = new ReentrantLock();
	private final Condition changed = lock.newCondition();
	private final boolean adaptive;
	private final int min;
	private int max;
	private final long coolDownNanos;
	private final java.util.function.LongSupplier clock;
	private int limit;
	private int inFlight;
	private int successes;
	private long lastDecrease;
	private long lastChange;
	private long overloads;
	/** The limit at which the provider last pushed back, or 0 when there is none to stay under. */
	private int ceiling;
	private long probeInterval = FIRST_PROBE_NANOS;
	private int highest;
	private final java.util.ArrayDeque<java.util.concurrent.CompletableFuture<Void>> waiting = new java.util.ArrayDeque<>();

	private ConcurrencyLimit(int initial, int min, int max, boolean adaptive, long coolDownNanos,
			java.util.function.LongSupplier clock) {
		this.limit = initial;
		this.highest = initial;
		this.min = min;
		this.max = max;
		this.adaptive = adaptive;
		this.coolDownNanos = coolDownNanos;
		this.clock = clock;
		this.lastDecrease = clock.getAsLong() - coolDownNanos;
		this.lastChange = lastDecrease;
	}

	/** The check of a concurrency, declared once: at least 1. */
	public static int checked(int concurrency) {
		if (concurrency < 1) {
			throw new IllegalArgumentException("concurrency must be at least 1, was " + concurrency);
		}
		return concurrency;
	}

	public static ConcurrencyLimit fixed(int n) {
		checked(n);
		return new ConcurrencyLimit(n, n, n, false, 0, System::nanoTime);
	}

	/** Starts at {@code min(4, max)} and adapts between 1 and {@code max}. */
	public static ConcurrencyLimit adaptive(int max) {
		return adaptive(max, System::nanoTime);
	}

	/** {@link #adaptive(int)} on the given clock (nanoseconds), for tests. */
	static ConcurrencyLimit adaptive(int max, java.util.function.LongSupplier clock) {
		checked(max);
		return new ConcurrencyLimit(Math.min(4, max), 1, max, true, TimeUnit.MILLISECONDS.toNanos(250), clock);
	}

	public void acquire() throws InterruptedException {
		lock.lock();
		try {
			while (inFlight >= limit) {
				changed.await();
			}
			inFlight++;
		}
		finally {
			lock.unlock();
		}
	}

	/** A slot without blocking: the future completes when one is free (in the order asked). */
	public java.util.concurrent.CompletableFuture<Void> acquireAsync() {
		lock.lock();
		try {
			if (inFlight < limit && waiting.isEmpty()) {
				inFlight++;
				return java.util.concurrent.CompletableFuture.completedFuture(null);
			}
			java.util.concurrent.CompletableFuture<Void> slot = new java.util.concurrent.CompletableFuture<>();
			waiting.add(slot);
			return slot;
		}
		finally {
			lock.unlock();
		}
	}

	public void release() {
		java.util.List<java.util.concurrent.CompletableFuture<Void>> granted;
		lock.lock();
		try {
			inFlight--;
			granted = grant();
			changed.signalAll();
		}
		finally {
			lock.unlock();
		}
		granted.forEach(f -> f.complete(null));
	}

	/** Hands free slots to waiting asynchronous callers; complete them outside the lock. */
	private java.util.List<java.util.concurrent.CompletableFuture<Void>> grant() {
		java.util.List<java.util.concurrent.CompletableFuture<Void>> granted = new java.util.ArrayList<>();
		while (inFlight < limit && !waiting.isEmpty()) {
			inFlight++;
			granted.add(waiting.poll());
		}
		return granted;
	}

	/** An attempt ended: {@code overloaded} when the provider said it was (429 other than quota, 503). */
	public void onAttempt(boolean overloaded) {
		if (!adaptive) {
			return;
		}
		java.util.List<java.util.concurrent.CompletableFuture<Void>> granted = java.util.List.of();
		lock.lock();
		try {
			long now = clock.getAsLong();
			if (overloaded) {
				overloads++;
				successes = 0;
				if (now - lastDecrease >= coolDownNanos) {
					// a probe refused at the ceiling it was testing: wait longer before the next one
					probeInterval = limit == ceiling ? Math.min(MAX_PROBE_NANOS, probeInterval * 2) : FIRST_PROBE_NANOS;
					ceiling = limit;
					limit = Math.max(min, Math.min(limit - 1, (int) (limit * 0.8)));
					lastDecrease = now;
					lastChange = now;
				}
			}
			else if ((inFlight >= limit - 1 || !waiting.isEmpty()) && ++successes >= 2 * limit && limit < max
					&& now - lastChange >= stepInterval()) {
				limit++;
				highest = Math.max(highest, limit);
				successes = 0;
				lastChange = now;
				if (ceiling > 0 && limit > ceiling) {
					ceiling = 0; // the probe held: the provider takes more than it did
					probeInterval = FIRST_PROBE_NANOS;
				}
				granted = grant();
				changed.signalAll();
			}
		}
		finally {
			lock.unlock();
		}
		granted.forEach(f -> f.complete(null));
	}

	/** How long the limit must hold before its next step up. */
	private long stepInterval() {
		if (overloads == 0) {
			return 0; // slow start
		}
		if (ceiling > 0) {
			return limit + 1 >= ceiling ? probeInterval : coolDownNanos;
		}
		return 2 * coolDownNanos;
	}

	/** Waits until nothing is in flight; false when the time ran out first. */
	public boolean awaitIdle(long timeout, TimeUnit unit) throws InterruptedException {
		long deadline = System.nanoTime() + unit.toNanos(timeout);
		lock.lock();
		try {
			while (inFlight > 0) {
				long left = deadline - System.nanoTime();
				if (left <= 0) {
					return false;
				}
				changed.awaitNanos(left);
			}
			return true;
		}
		finally {
			lock.unlock();
		}
	}

	/** The most the limit may be: the fixed number, or the top an adaptive limit may reach. */
	public int max() {
		lock.lock();
		try {
			return max;
		}
		finally {
			lock.unlock();
		}
	}

	/**
	 * Changes the most the limit may be, as the share of a limit held with other processes changes: a fixed limit
	 * becomes {@code max}, an adaptive one stays where it is below it (never above it). Rows in flight beyond a lower
	 * limit finish; no new slot is given until fewer are in flight. 0 gives no new slot until the limit is raised.
	 */
	public void resize(int max) {
		if (max < 0) {
			throw new IllegalArgumentException("a limit must not be negative, was " + max);
		}
		java.util.List<java.util.concurrent.CompletableFuture<Void>> granted;
		lock.lock();
		try {
			this.max = max;
			this.limit = adaptive ? Math.min(Math.max(limit, Math.min(min, max)), max) : max;
			granted = grant();
			changed.signalAll();
		}
		finally {
			lock.unlock();
		}
		granted.forEach(f -> f.complete(null));
	}

	public int limit() {
		lock.lock();
		try {
			return limit;
		}
		finally {
			lock.unlock();
		}
	}

	/** Where an adaptive limit stands: now, the highest it reached, and the overload answers it saw. */
	public record State(int limit, int highest, long overloads) {
	}

	public State state() {
		lock.lock();
		try {
			return new State(limit, highest, overloads);
		}
		finally {
			lock.unlock();
		}
	}

	public int inFlight() {
		lock.lock();
		try {
			return inFlight;
		}
		finally {
			lock.unlock();
		}
	}

}
