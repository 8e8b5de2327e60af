package io.promptbatch.core.client.internal;

import io.promptbatch.core.client.ChatException;
import io.promptbatch.core.client.ChatResponse;
import io.promptbatch.core.client.FatalChatException;
import io.promptbatch.core.client.RetriableChatException;
import io.promptbatch.core.limit.ConcurrencyLimit;
import io.promptbatch.core.limit.OutageBreaker;
import io.promptbatch.core.limit.ProviderOutageException;
import io.promptbatch.core.limit.RateLimit;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * What every attempt (each retry too) passes before it goes out, in this order: pacing to the request and
 * token rates, the {@link OutageBreaker} (held while the provider is down), then a slot of the attempt
 * limit ({@link RowSlot}: a row whose caller holds its slot keeps it through its attempts and the waits between
 * them). Each attempt's outcome is told back: to the breaker
 * (a server failure or not), to an adaptive limit (overloaded or not) and to the token rate (the tokens
 * the provider reported against those reserved). Built once per client; thread-safe.
 */
public final class AttemptGate {

	/** Runs an action after a wait, on the client's threads. */
	@FunctionalInterface
	public interface Delay {

		Executor after(Duration wait);
	}

	/**
	 * One row's hold on a slot of the limit across its attempts. A row {@linkplain #perAttempt() on its own} takes a
	 * slot for each attempt and gives it back after. A row whose caller took its slot before sending it
	 * ({@linkplain #heldByCaller() held by the caller}, so that the caller takes rows no faster than slots free)
	 * keeps that one slot through all its attempts, the waits between them included, and the caller releases it
	 * once done with the outcome; its attempts take no slot of their own.
	 */
	public static final class RowSlot {

		private final boolean caller;

		private RowSlot(boolean caller) {
			this.caller = caller;
		}

		/** A row that takes a slot for each attempt and gives it back after. */
		public static RowSlot perAttempt() {
			return new RowSlot(false);
		}

		/** A row whose caller holds its slot, through all its attempts, and releases it once done with the outcome. */
		public static RowSlot heldByCaller() {
			return new RowSlot(true);
		}
	}

	private final @Nullable RateLimit requestRate;
	private final @Nullable RateLimit tokenRate;
	private final OutageBreaker breaker;
	private final @Nullable ConcurrencyLimit limit;
	private final Delay delay;

	/**
	 * @param requestRate requests per minute, or null for no limit
	 * @param tokenRate tokens per minute, or null for no limit
	 * @param limit attempts in flight at most, or null for no limit
	 * @param delay how a paced attempt waits
	 */
	public AttemptGate(@Nullable RateLimit requestRate, @Nullable RateLimit tokenRate, OutageBreaker breaker,
			@Nullable ConcurrencyLimit limit, Delay delay) {
		this.requestRate = requestRate;
		this.tokenRate = tokenRate;
		this.breaker = breaker;
		this.limit = limit;
		this.delay = delay;
	}

	/** The limit of attempts in flight, or null for none. */
	public @Nullable ConcurrencyLimit limit() {
		return limit;
	}

	/**
	 * Sends one attempt through the gate.
	 *
	 * @param tokenEstimate the tokens the request reserves of the token rate (0 without one)
	 * @param send the attempt itself, started once the gate lets it go
	 * @param row the row's hold on a slot of the limit
	 */
	public CompletableFuture<ChatResponse> attempt(long tokenEstimate, Supplier<CompletableFuture<ChatResponse>> send,
			RowSlot row) {
		Duration wait = pace(tokenEstimate);
		CompletableFuture<ChatResponse> attempt = wait.isZero() ? admitted(send, row) : onTurn(wait, true, send, row);
		RateLimit tokens = tokenRate;
		if (tokens == null) {
			return attempt;
		}
		return attempt.whenComplete((response, failure) -> tokens
			.adjust((response == null ? 0 : response.usage().totalTokens()) - tokenEstimate));
	}

	/**
	 * Waits for the attempt's turn, then lets it through. An attempt that could not go out within {@link #LATE} of its
	 * turn (its process stalled: a pause, a busy machine) takes one new turn of the request rate rather than go out
	 * together with the turns after it, which other processes sharing the rate take on time.
	 */
	private CompletableFuture<ChatResponse> onTurn(Duration wait, boolean mayTurnAgain,
			Supplier<CompletableFuture<ChatResponse>> send, RowSlot row) {
		long due = System.nanoTime() + wait.toNanos();
		return CompletableFuture.runAsync(() -> {
		}, delay.after(wait)).thenCompose(ignored -> {
			RateLimit requests = requestRate;
			if (!mayTurnAgain || requests == null || System.nanoTime() - due <= LATE.toNanos()) {
				return admitted(send, row);
			}
			return onTurn(requests.reserve(1), false, send, row);
		});
	}

	/** How late after its turn an attempt may still go out. */
	static final Duration LATE = Duration.ofMillis(50);

	/** How long to wait so that this attempt keeps to the request and token rates. */
	private Duration pace(long tokenEstimate) {
		Duration wait = requestRate == null ? Duration.ZERO : requestRate.reserve(1);
		if (tokenRate != null) {
			Duration tokenWait = tokenRate.reserve(tokenEstimate);
			wait = tokenWait.compareTo(wait) > 0 ? tokenWait : wait;
		}
		return wait;
	}

	/**
	 * Past the breaker and within the limit; the outcome is told to both. An attempt the breaker held (after a server
	 * failure, or through an outage until the probe) takes one new turn of the request rate once let go: its turn
	 * taken in {@link #pace} passed while it was held, and the held attempts are let go together.
	 */
	private CompletableFuture<ChatResponse> admitted(Supplier<CompletableFuture<ChatResponse>> send, RowSlot row) {
		ConcurrencyLimit slots = limit;
		CompletableFuture<Void> permit = breaker.permit();
		boolean held = !permit.isDone();
		return permit.thenCompose(permitted -> held ? newTurn() : permit).thenCompose(permitted -> {
			if (slots == null) {
				return sent(send);
			}
			if (row.caller) {
				return sent(send).whenComplete((r, e) -> slots.onAttempt(e != null && isOverload(e)));
			}
			return slots.acquireAsync().thenCompose(slot -> sent(send).whenComplete((r, e) -> {
				slots.onAttempt(e != null && isOverload(e));
				slots.release();
			}));
		}).whenComplete((r, e) -> {
			Throwable cause = e == null ? null : ChatException.unwrap(e);
			if (!(cause instanceof ProviderOutageException)) {
				// a fatal answer (401, 403, quota) is still an answer: the server is up, and a probe that gets one
				// must end the pause rather than leave every held attempt waiting
				breaker.record(isServerFailure(cause));
			}
		});
	}

	/** Waits for one new turn of the request rate, if there is one. */
	private CompletableFuture<Void> newTurn() {
		RateLimit requests = requestRate;
		Duration wait = requests == null ? Duration.ZERO : requests.reserve(1);
		return wait.isZero() ? CompletableFuture.completedFuture(null) : CompletableFuture.runAsync(() -> {
		}, delay.after(wait));
	}

	/** The attempt's future; one that could not even start is a failed future, so its slot is given back. */
	private static CompletableFuture<ChatResponse> sent(Supplier<CompletableFuture<ChatResponse>> send) {
		try {
			return send.get();
		}
		catch (RuntimeException e) {
			return CompletableFuture.failedFuture(e);
		}
	}

	/** The server failed the attempt (5xx, timeout, connection): what the outage breaker counts. */
	static boolean isServerFailure(@Nullable Throwable cause) {
		return cause instanceof RetriableChatException rc && (rc.status() == 0 || rc.status() >= 500);
	}

	/** The provider said it was overloaded (429 other than quota, 503, 529): what an adaptive limit counts. */
	static boolean isOverload(Throwable failure) {
		return ChatException.unwrap(failure) instanceof RetriableChatException r
				&& (r.status() == 429 || r.status() == 503 || r.status() == 529);
	}
}
