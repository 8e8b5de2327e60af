package io.promptbatch.core.limit;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;
import java.util.function.Supplier;

/**
 * Pauses every request when the provider is down, instead of letting each row burn its retries: when
 * nearly all of the last attempts failed on the server's side (5xx, timeouts, connection errors), no
 * attempt starts for a pause; then one probe goes out; a success resumes everything, a failure pauses
 * again for twice as long (at most 30 s). When the outage lasts longer than the allowed time, every
 * waiting request fails with a {@link ProviderOutageException} (which the client reports as fatal, stopping the
 * run resumably). Thread-safe.
 * <p>
 * Not Failsafe's {@code CircuitBreaker}, which can count 18 failures of the last 20 and double its delay,
 * but not keep this behaviour: an open Failsafe breaker rejects an attempt at once
 * ({@code CircuitBreakerOpenException}) instead of holding it until the probe, so each waiting row would
 * spend its retries (or poll) through the outage; it moves to half-open only when some caller next asks,
 * not when the pause ends, so nothing would wake the waiting rows; and it has no limit on how long it
 * stays open, which {@code --max-outage} needs. Here waiting attempts queue on a future, one probe goes
 * out when the pause ends, and the outage's length is checked then.
 */
public final class OutageBreaker {

	private static final int WINDOW = 20;
	private static final int TRIP = 18;
	private static final long FIRST_PAUSE = TimeUnit.SECONDS.toNanos(1);
	private static final long MAX_PAUSE = TimeUnit.SECONDS.toNanos(30);

	private final Duration maxOutage;
	private final ScheduledExecutorService timer;
	private final Supplier<String> target;
	private final LongSupplier clock;
	private final ArrayDeque<Boolean> window = new ArrayDeque<>();
	private final ArrayDeque<CompletableFuture<Void>> waiting = new ArrayDeque<>();
	private int failuresInWindow;
	private boolean open;
	private boolean probing;
	private long outageStart;
	private java.time.@org.jspecify.annotations.Nullable Instant since;
	private java.time.@org.jspecify.annotations.Nullable Instant nextProbe;
	private long pause;
	private @Nullable ProviderOutageException fatal;

	/**
	 * @param maxOutage how long an outage may last before the run stops
	 * @param target names the server, for the message
	 */
	public OutageBreaker(Duration maxOutage, ScheduledExecutorService timer, Supplier<String> target) {
		this(maxOutage, timer, target, System::nanoTime);
	}

	/** {@link #OutageBreaker(Duration, ScheduledExecutorService, Supplier)} on the given clock (nanoseconds). */
	public OutageBreaker(Duration maxOutage, ScheduledExecutorService timer, Supplier<String> target,
			LongSupplier clock) {
		this.maxOutage = maxOutage;
		this.timer = timer;
		this.target = target;
		this.clock = clock;
	}

	/** Completes when an attempt may start (at once unless the provider is down). */
	public synchronized CompletableFuture<Void> permit() {
		if (fatal != null) {
			return CompletableFuture.failedFuture(fatal);
		}
		if (!open) {
			return CompletableFuture.completedFuture(null);
		}
		CompletableFuture<Void> wait = new CompletableFuture<>();
		waiting.add(wait);
		return wait;
	}

	/** An attempt ended; {@code serverFailure} when the server failed it (5xx, timeout, connection). */
	public void record(boolean serverFailure) {
		List<CompletableFuture<Void>> release = new ArrayList<>();
		synchronized (this) {
			if (open) {
				if (!serverFailure) {
					// the provider answers again
					open = false;
					probing = false;
					window.clear();
					failuresInWindow = 0;
					release.addAll(waiting);
					waiting.clear();
				}
				else if (probing) {
					probing = false;
					pause = Math.min(MAX_PAUSE, pause * 2);
					schedule();
				}
			}
			else {
				window.add(serverFailure);
				failuresInWindow += serverFailure ? 1 : 0;
				if (window.size() > WINDOW && window.poll()) {
					failuresInWindow--;
				}
				if (window.size() >= WINDOW && failuresInWindow >= TRIP) {
					open = true;
					outageStart = clock.getAsLong();
					since = java.time.Instant.now();
					pause = FIRST_PAUSE;
					schedule();
				}
			}
		}
		release.forEach(f -> f.complete(null));
	}

	private void schedule() {
		nextProbe = java.time.Instant.now().plusNanos(pause);
		timer.schedule(this::probe, pause, TimeUnit.NANOSECONDS);
	}

	/** An outage in progress: since when requests are paused, and when the next probe goes. */
	public record Outage(java.time.Instant since, java.time.Instant nextProbe) {
	}

	/** The outage in progress, if requests are paused now. */
	public synchronized java.util.Optional<Outage> outage() {
		return open && fatal == null && since != null && nextProbe != null
				? java.util.Optional.of(new Outage(since, nextProbe)) : java.util.Optional.empty();
	}

	/** At the end of a pause: stop for good when the outage is too long, else let one attempt probe. */
	private void probe() {
		List<CompletableFuture<Void>> fail = List.of();
		CompletableFuture<Void> probe = null;
		synchronized (this) {
			if (!open || fatal != null) {
				return;
			}
			long outage = clock.getAsLong() - outageStart;
			if (outage > maxOutage.toNanos()) {
				fatal = new ProviderOutageException("nearly every request to " + target.get()
						+ " failed for " + TimeUnit.NANOSECONDS.toSeconds(outage) + " s (server errors or no answer); "
						+ "run the same command again when the provider is back");
				fail = new ArrayList<>(waiting);
				waiting.clear();
			}
			else if (!waiting.isEmpty()) {
				probing = true;
				probe = waiting.poll();
			}
			else {
				// nothing waits: the next attempt will find the breaker open and wait for the next probe
				schedule();
			}
		}
		ProviderOutageException f = fatal;
		fail.forEach(w -> w.completeExceptionally(f));
		if (probe != null) {
			probe.complete(null);
		}
	}

}
