package io.promptbatch.core.limit;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * How many requests may be in flight at once: a fixed number, or one that adapts (AIMD) to what the
 * provider takes: it grows by one per two rounds of successes while the limit is in use (at most one
 * step per half second once the provider has pushed back), and shrinks by a fifth at once when the
 * provider says it is overloaded (429, 503), at most once per cool-down.
 * Thread-safe.
 */
public final class ConcurrencyLimit {

	private final ReentrantLock lock = new ReentrantLock();
	private final Condition changed = lock.newCondition();
	private final boolean adaptive;
	private final int min;
	private final int max;
	private final long coolDownNanos;
	private int limit;
	private int inFlight;
	private int successes;
	private long lastDecrease;
	private long lastChange;
	private long overloads;
	private final java.util.ArrayDeque<java.util.concurrent.CompletableFuture<Void>> waiting = new java.util.ArrayDeque<>();

	private ConcurrencyLimit(int initial, int min, int max, boolean adaptive, long coolDownNanos) {
		this.limit = initial;
		this.min = min;
		this.max = max;
		this.adaptive = adaptive;
		this.coolDownNanos = coolDownNanos;
		this.lastDecrease = System.nanoTime() - coolDownNanos;
		this.lastChange = lastDecrease;
	}

	public static ConcurrencyLimit fixed(int n) {
		if (n < 1) {
			throw new IllegalArgumentException("concurrency must be at least 1, was " + n);
		}
		return new ConcurrencyLimit(n, n, n, false, 0);
	}

	/** Starts at {@code min(4, max)} and adapts between 1 and {@code max}. */
	public static ConcurrencyLimit adaptive(int max) {
		if (max < 1) {
			throw new IllegalArgumentException("max concurrency must be at least 1, was " + max);
		}
		return new ConcurrencyLimit(Math.min(4, max), 1, max, true, TimeUnit.MILLISECONDS.toNanos(250));
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
			long now = System.nanoTime();
			if (overloaded) {
				overloads++;
				successes = 0;
				if (now - lastDecrease >= coolDownNanos) {
					limit = Math.max(min, Math.min(limit - 1, (int) (limit * 0.8)));
					lastDecrease = now;
					lastChange = now;
				}
			}
			else if ((inFlight >= limit - 1 || !waiting.isEmpty()) && ++successes >= 2 * limit
					&& (overloads == 0 || now - lastChange >= 2 * coolDownNanos)) {
				// slow start until the first overload, then at most one step per two cool-downs, so that a
				// provider that answers 429 at once is not probed again before the last cut has settled
				limit = Math.min(max, limit + 1);
				successes = 0;
				lastChange = now;
				granted = grant();
				changed.signalAll();
			}
		}
		finally {
			lock.unlock();
		}
		granted.forEach(f -> f.complete(null));
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

	public int limit() {
		lock.lock();
		try {
			return limit;
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
