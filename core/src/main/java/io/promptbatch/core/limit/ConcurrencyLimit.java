package io.promptbatch.core.limit;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * How many requests may be in flight at once: a fixed number, or one that adapts (AIMD) to what the
 * provider takes: it grows by one while requests succeed with the limit in use, and shrinks by a
 * fifth at once when the provider says it is overloaded (429, 503), at most once per cool-down.
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
	private long overloads;

	private ConcurrencyLimit(int initial, int min, int max, boolean adaptive, long coolDownNanos) {
		this.limit = initial;
		this.min = min;
		this.max = max;
		this.adaptive = adaptive;
		this.coolDownNanos = coolDownNanos;
		this.lastDecrease = System.nanoTime() - coolDownNanos;
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

	public void release() {
		lock.lock();
		try {
			inFlight--;
			changed.signalAll();
		}
		finally {
			lock.unlock();
		}
	}

	/** An attempt ended: {@code overloaded} when the provider said it was (429 other than quota, 503). */
	public void onAttempt(boolean overloaded) {
		if (!adaptive) {
			return;
		}
		lock.lock();
		try {
			long now = System.nanoTime();
			if (overloaded) {
				overloads++;
				successes = 0;
				if (now - lastDecrease >= coolDownNanos) {
					limit = Math.max(min, Math.min(limit - 1, (int) (limit * 0.8)));
					lastDecrease = now;
				}
			}
			else if (inFlight >= limit - 1 && ++successes >= 2 * limit) {
				limit = Math.min(max, limit + 1);
				successes = 0;
				changed.signalAll();
			}
		}
		finally {
			lock.unlock();
		}
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

	public boolean adaptive() {
		return adaptive;
	}
}
