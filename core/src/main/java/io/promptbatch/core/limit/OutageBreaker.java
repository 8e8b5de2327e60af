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
 * While the last outcome was a server failure and other attempts are in flight, an attempt waits for their verdict
 * before it starts: until an outcome that is not a server failure, until none is in flight any more, until the
 * breaker opens (then it waits for the probe like the others), or for a second at most. Without this hold, at the
 * start of an outage the first rows' retries (after a backoff of a few milliseconds) go out while the failures that
 * will open the breaker are still arriving: the answers to many fresh connections come in over a few hundred
 * milliseconds, and each retry sent meanwhile is one more failed request (an outage of 40 rows cost 41 to 60 failed
 * requests instead of 41).
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
	/** The longest an attempt waits for the verdict of those in flight after a server failure. */
	private static final long MAX_HOLD = TimeUnit.SECONDS.toNanos(1);

	private final Duration maxOutage;
	private final ScheduledExecutorService timer;
	private final Supplier<String> target;
	private final LongSupplier clock;
	private final ArrayDeque<Boolean> window = new ArrayDeque<>();
	private final ArrayDeque<CompletableFuture<Void>> waiting = new ArrayDeque<>();
	/** Attempts held for the verdict of those in flight after a server failure (never while open). */
	private final ArrayDeque<CompletableFuture<Void>> held = new ArrayDeque<>();
	private int failuresInWindow;
	/** Server failures since the last outcome that was not one. */
	private int trailingFailures;
	/** Attempts let go whose outcome has not been recorded yet. */
	private int inFlight;
	/** Counts the holds, so that the end of an earlier one does not end a later one. */
	private long holds;
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

	/**
	 * Completes when an attempt may start: at once unless the provider is down or the last outcome was a server
	 * failure while others are in flight. Each attempt let go must have its outcome {@linkplain #record recorded}.
	 */
	public synchronized CompletableFuture<Void> permit() {
		if (fatal != null) {
			return CompletableFuture.failedFuture(fatal);
		}
		if (open) {
			CompletableFuture<Void> wait = new CompletableFuture<>();
			waiting.add(wait);
			return wait;
		}
		if (trailingFailures > 0 && inFlight > 0) {
			CompletableFuture<Void> wait = new CompletableFuture<>();
			if (held.isEmpty()) {
				long hold = ++holds;
				timer.schedule(() -> endHold(hold), MAX_HOLD, TimeUnit.NANOSECONDS);
			}
			held.add(wait);
			return wait;
		}
		inFlight++;
		return CompletableFuture.completedFuture(null);
	}

	/** An attempt ended; {@code serverFailure} when the server failed it (5xx, timeout, connection). */
	public void record(boolean serverFailure) {
		List<CompletableFuture<Void>> release = new ArrayList<>();
		synchronized (this) {
			inFlight = Math.max(0, inFlight - 1);
			trailingFailures = serverFailure ? trailingFailures + 1 : 0;
			if (open) {
				if (!serverFailure) {
					// the provider answers again
					open = false;
					probing = false;
					window.clear();
					failuresInWindow = 0;
					release.addAll(letGo(waiting));
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
					// the held attempts wait for the probe with the others
					waiting.addAll(held);
					held.clear();
				}
				else if (!serverFailure || inFlight == 0) {
					// the verdict is in: the provider answers, or nothing more is on its way to tell
					release.addAll(letGo(held));
				}
			}
		}
		release.forEach(f -> f.complete(null));
	}

	/** At the end of a hold that is still on: its attempts go, whatever the attempts in flight will say. */
	private void endHold(long hold) {
		List<CompletableFuture<Void>> release;
		synchronized (this) {
			if (hold != holds || open) {
				return;
			}
			release = letGo(held);
		}
		release.forEach(f -> f.complete(null));
	}

	/** Takes the attempts out of {@code queue}, counted as in flight from now; the caller completes them. */
	private List<CompletableFuture<Void>> letGo(ArrayDeque<CompletableFuture<Void>> queue) {
		List<CompletableFuture<Void>> go = new ArrayList<>(queue);
		queue.clear();
		inFlight += go.size();
		return go;
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
				inFlight++;
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
