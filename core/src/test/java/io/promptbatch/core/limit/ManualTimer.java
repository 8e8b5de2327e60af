package io.promptbatch.core.limit;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Delayed;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/** A timer that records what is scheduled and runs it only when the test says so. */
public final class ManualTimer extends ScheduledThreadPoolExecutor {

	/** The delays asked for, in nanoseconds, in order. */
	public final List<Long> delays = new ArrayList<>();

	private final List<Runnable> scheduled = new ArrayList<>();

	public ManualTimer() {
		super(0);
	}

	@Override
	public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
		delays.add(unit.toNanos(delay));
		scheduled.add(command);
		return new Unobserved();
	}

	/** Runs what was scheduled so far, as if each delay had passed. */
	public void runScheduled() {
		List<Runnable> due = new ArrayList<>(scheduled);
		scheduled.clear();
		due.forEach(Runnable::run);
	}

	/** A scheduled future nobody looks at. */
	private static final class Unobserved extends CompletableFuture<Void> implements ScheduledFuture<Void> {

		@Override
		public long getDelay(TimeUnit unit) {
			return 0;
		}

		@Override
		public int compareTo(Delayed other) {
			return 0;
		}
	}
}
