package io.promptbatch.core.client;

import dev.failsafe.Failsafe;
import dev.failsafe.FailsafeExecutor;
import io.promptbatch.core.chat.ChatRequest;
import io.promptbatch.core.client.internal.AttemptGate;
import io.promptbatch.core.client.internal.ErrorMapper;
import io.promptbatch.core.client.internal.HttpTransport;
import io.promptbatch.core.client.internal.Retries;
import io.promptbatch.core.client.internal.TokenCounter;
import io.promptbatch.core.client.internal.WireFormat;
import io.promptbatch.core.cost.TokenEstimator;
import io.promptbatch.core.limit.ConcurrencyLimit;
import io.promptbatch.core.limit.OutageBreaker;
import io.promptbatch.core.limit.RateLimit;
import io.promptbatch.core.limit.RateLimiter;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;

/**
 * An OpenAI-compatible chat-completions client: {@code POST {baseUrl}/chat/completions} with a
 * bearer key, retrying transient failures (429, 408, 5xx, connection errors, timeouts) with
 * exponential backoff and full jitter, honouring {@code Retry-After}. Non-blocking: each call returns
 * at once with a future of its {@link ChatOutcome}, which never completes exceptionally. Thread-safe.
 * Build with {@link #builder()}.
 * <p>
 * It composes separate parts: the one retry policy ({@link Retries}) around the attempt gate
 * ({@link AttemptGate}: pacing, outage breaker, attempt limit) around the transport
 * ({@link HttpTransport}: one plain or streamed exchange); the {@link TokenCounter} gives the token
 * estimate for the token rate and the provider's own count.
 */
public final class ChatClient implements AutoCloseable {

	private final String baseUrl;
	private final boolean stream;
	private final LongSupplier clock;
	private final ScheduledExecutorService timer;
	private final ExecutorService executor;
	private final HttpTransport transport;
	private final OutageBreaker breaker;
	private final AttemptGate gate;
	private final TokenCounter tokens;
	private final FailsafeExecutor<Object> failsafe;

	private ChatClient(Builder b) {
		this.baseUrl = b.baseUrl;
		this.stream = b.stream;
		this.clock = b.clock;
		this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
			Thread t = new Thread(r, "promptbatch-stream-timer");
			t.setDaemon(true);
			return t;
		});
		AtomicInteger threads = new AtomicInteger();
		this.executor = Executors.newFixedThreadPool(Math.max(2, Runtime.getRuntime().availableProcessors()), r -> {
			Thread t = new Thread(r, "promptbatch-http-" + threads.incrementAndGet());
			t.setDaemon(true);
			return t;
		});
		this.transport = new HttpTransport(URI.create(b.baseUrl + "/chat/completions"), b.apiKey, b.timeout,
				b.idleTimeout, new ErrorMapper(b.keyHint), executor, timer);
		this.breaker = new OutageBreaker(b.maxOutage, timer, transport::target);
		RateLimit requestRate = b.requestRate != null ? b.requestRate
				: b.requestsPerMinute > 0 ? new RateLimiter(b.requestsPerMinute, RateLimiter.REQUEST_BURST) : null;
		RateLimit tokenRate = b.tokenRate != null ? b.tokenRate
				: b.tokensPerMinute > 0 ? new RateLimiter(b.tokensPerMinute, RateLimiter.tokenBurst(b.tokensPerMinute)) : null;
		this.gate = new AttemptGate(requestRate, tokenRate, breaker, b.attemptLimit,
				wait -> CompletableFuture.delayedExecutor(wait.toNanos(), TimeUnit.NANOSECONDS, executor));
		this.tokens = new TokenCounter(transport, b.baseUrl, tokenRate != null ? new TokenEstimator() : null);
		this.failsafe = Failsafe.with(Retries.policy(b.maxRetries, b.maxRowTime, b.initialBackoff, b.maxBackoff))
			.with(executor);
	}

	/**
	 * The provider's own count of a request's prompt tokens, from Moonshot's
	 * {@code POST {baseUrl}/tokenizers/estimate-token-count} ({@code data.total_tokens}). Retried like
	 * a chat request; fails with a {@link ChatException}.
	 */
	public CompletableFuture<Long> countTokens(ChatRequest request) {
		return failsafe.getStageAsync(() -> tokens.count(request));
	}

	/** The provider outage in progress, if requests are paused now. */
	public java.util.Optional<io.promptbatch.core.limit.OutageBreaker.Outage> outage() {
		return breaker.outage();
	}

	public static Builder builder() {
		return new Builder();
	}

	/** The OpenAI-style base URL, without a trailing slash. */
	public String baseUrl() {
		return baseUrl;
	}

	/** Sends one request with its retries; the future always completes normally. */
	public CompletableFuture<ChatOutcome> send(ChatRequest request) {
		return send(request, null);
	}

	/**
	 * {@link #send(ChatRequest)}, given the request's {@link RequestBody#of} when the caller has made it
	 * already (for its fingerprint), so that it is not made twice.
	 */
	public CompletableFuture<ChatOutcome> send(ChatRequest request, byte @Nullable [] requestBody) {
		return send(request, requestBody, AttemptGate.RowSlot.perAttempt());
	}

	/**
	 * Sends a row whose slot of the {@linkplain Builder#attemptLimit attempt limit} the caller has taken already
	 * ({@link ConcurrencyLimit#acquire()}), so that it takes rows no faster than slots free. The row keeps that one
	 * slot through all its attempts, the waits between them included (a provider that asked to wait gets no other
	 * request in its place), and its attempts take none of their own; the caller releases it once done with the
	 * outcome (the answer recorded). Each attempt's outcome still tells an adaptive limit whether the provider was
	 * overloaded.
	 *
	 * @throws IllegalStateException when the client has no attempt limit
	 */
	public CompletableFuture<ChatOutcome> sendInSlot(ChatRequest request, byte[] requestBody) {
		if (gate.limit() == null) {
			throw new IllegalStateException("a row sent in a slot needs a client with an attempt limit");
		}
		return send(request, requestBody, AttemptGate.RowSlot.heldByCaller());
	}

	private CompletableFuture<ChatOutcome> send(ChatRequest request, byte @Nullable [] requestBody,
			AttemptGate.RowSlot slot) {
		long start = clock.getAsLong();
		// when the first attempt went out: a row's latency does not count its wait for the rate limits, an
		// outage's pause or an adaptive concurrency slot before it (retries and their back-off do count)
		AtomicLong sent = new AtomicLong();
		AtomicInteger attempts = new AtomicInteger();
		byte[] plain = requestBody != null ? requestBody : WireFormat.requestBody(request);
		byte[] body = stream ? WireFormat.streamingRequestBody(plain) : plain;
		long tokenEstimate = tokens.estimate(request);
		return failsafe.getStageAsync(() -> {
			attempts.incrementAndGet();
			return gate.attempt(tokenEstimate, () -> {
				sent.compareAndSet(0, clock.getAsLong());
				return transport.attempt(body, stream);
			}, slot);
		}).handle((response, failure) -> {
			long millis = TimeUnit.NANOSECONDS.toMillis(clock.getAsLong() - (sent.get() != 0 ? sent.get() : start));
			if (failure == null) {
				return new ChatOutcome.Answered(response, attempts.get(), millis);
			}
			ChatException error = transport.failure(failure);
			if (error instanceof RetriableChatException r && r.connectionRefused()) {
				error = new FatalChatException(0, "connection_refused", r.getMessage() + " after " + attempts.get()
						+ " attempts; check --base-url / --provider and that the server is up, then run the same "
						+ "command again", null, r);
			}
			return new ChatOutcome.Failed(error, attempts.get(), millis);
		});
	}

	@Override
	public void close() {
		// the transport first: the streams it ends are told to their callers on the client's threads and with the
		// timer still there, not dropped by a pool that has already gone
		transport.close();
		executor.shutdownNow();
		timer.shutdownNow();
	}

	/** Builds a {@link ChatClient}, checking each setting as it is given. */
	public static final class Builder {

		private @Nullable String baseUrl;
		private @Nullable String apiKey;
		private String keyHint = "the API key (PROMPTBATCH_API_KEY)";
		private Duration timeout = ClientSettings.duration(ClientSettings.TIMEOUT);
		private int maxRetries = Integer.parseInt(ClientSettings.MAX_RETRIES);
		private Duration initialBackoff = ClientSettings.INITIAL_BACKOFF;
		private Duration maxBackoff = ClientSettings.MAX_BACKOFF;
		private boolean stream;
		private Duration idleTimeout = ClientSettings.duration(ClientSettings.IDLE_TIMEOUT);
		private long requestsPerMinute = Long.parseLong(ClientSettings.RPM);
		private long tokensPerMinute = Long.parseLong(ClientSettings.TPM);
		private @Nullable ConcurrencyLimit attemptLimit;
		private @Nullable RateLimit requestRate;
		private @Nullable RateLimit tokenRate;
		private LongSupplier clock = System::nanoTime;
		private Duration maxOutage = ClientSettings.duration(ClientSettings.MAX_OUTAGE);
		private Duration maxRowTime = ClientSettings.duration(ClientSettings.MAX_ROW_TIME);

		/** Time after which a request is not retried any more, however many retries are left. */
		public Builder maxRowTime(Duration maxRowTime) {
			this.maxRowTime = ClientSettings.positive("max time per row", maxRowTime);
			return this;
		}

		/**
		 * How long the provider may be down (nearly every attempt failing on its side) before requests
		 * fail for good; meanwhile no attempt starts but periodic probes.
		 */
		public Builder maxOutage(Duration maxOutage) {
			this.maxOutage = ClientSettings.positive("max outage", maxOutage);
			return this;
		}

		/**
		 * The limit of requests in flight, fixed or adaptive, learning from each attempt's outcome: a row sent with
		 * {@link #send} takes a slot for each attempt (a row waiting out a backoff holds none), a row sent with
		 * {@link #sendInSlot} holds its caller's slot through all its attempts.
		 */
		public Builder attemptLimit(@Nullable ConcurrencyLimit limit) {
			this.attemptLimit = limit;
			return this;
		}

		/** Requests per minute at most, paced evenly across all requests of this client; 0 for no limit. */
		public Builder requestsPerMinute(long rpm) {
			this.requestsPerMinute = ClientSettings.perMinute("requests per minute", rpm);
			return this;
		}

		/**
		 * Tokens per minute at most, across all requests of this client; 0 for no limit. Each request
		 * reserves its estimated prompt tokens plus {@code max_tokens} before it is sent, corrected by the
		 * usage the provider reports.
		 */
		public Builder tokensPerMinute(long tpm) {
			this.tokensPerMinute = ClientSettings.perMinute("tokens per minute", tpm);
			return this;
		}

		/** Paces requests to this rate, shared with other processes; null to use {@link #requestsPerMinute}. */
		public Builder requestRate(@Nullable RateLimit rate) {
			this.requestRate = rate;
			return this;
		}

		/** Paces tokens to this rate, shared with other processes; null to use {@link #tokensPerMinute}. */
		public Builder tokenRate(@Nullable RateLimit rate) {
			this.tokenRate = rate;
			return this;
		}

		private Builder() {
		}

		/** Stream answers (server-sent events) instead of waiting for the whole answer. */
		public Builder stream(boolean stream) {
			this.stream = stream;
			return this;
		}

		/** With streaming: the longest silence allowed between bytes of an answer. */
		public Builder idleTimeout(Duration idleTimeout) {
			this.idleTimeout = ClientSettings.positive("idle timeout", idleTimeout);
			return this;
		}

		/** The OpenAI-style base URL; {@code /chat/completions} is appended. */
		public Builder baseUrl(String baseUrl) {
			String url = baseUrl.strip();
			while (url.endsWith("/")) {
				url = url.substring(0, url.length() - 1);
			}
			if (!url.startsWith("http://") && !url.startsWith("https://")) {
				throw new IllegalArgumentException("base URL must start with http:// or https://, was " + baseUrl);
			}
			URI.create(url);
			this.baseUrl = url;
			return this;
		}

		/** The bearer key, or null for servers that need none. Never logged. */
		public Builder apiKey(@Nullable String apiKey) {
			this.apiKey = apiKey == null || apiKey.isBlank() ? null : apiKey.strip();
			return this;
		}

		/**
		 * Why a key cannot go in an HTTP header (a curly quote, a line break or another character pasted with it),
		 * naming where it came from and the position, never the key; null when it can. The HTTP library would
		 * otherwise refuse the header with a message that quotes the key.
		 */
		public static @Nullable String unsendableKey(String key, String where) {
			String k = key.strip();
			for (int i = 0; i < k.length(); i++) {
				char c = k.charAt(i);
				if (c < 0x21 || c > 0x7E) {
					return where + " has a character that an HTTP header cannot carry at position " + (i + 1) + " of "
							+ k.length() + " (a space, a line break, a curly quote or another non-ASCII character pasted "
							+ "with it?); set it again with the key alone";
				}
			}
			return null;
		}

		/** Where the key comes from, for the message when it is rejected (e.g. "the key in ACEDATA_API_TOKEN"). */
		public Builder keyHint(String keyHint) {
			this.keyHint = keyHint;
			return this;
		}

		/** Time allowed for one attempt, from sending to the whole answer. */
		public Builder timeout(Duration timeout) {
			this.timeout = ClientSettings.positive("timeout", timeout);
			return this;
		}

		/** Retries after the first attempt; 0 disables retry. */
		public Builder maxRetries(int maxRetries) {
			this.maxRetries = ClientSettings.maxRetries(maxRetries);
			return this;
		}

		/** The first backoff cap; it doubles per attempt up to {@code max}, and each delay is drawn below it. */
		public Builder backoff(Duration initial, Duration max) {
			if (initial.isNegative() || max.compareTo(initial) < 0) {
				throw new IllegalArgumentException("backoff must satisfy 0 <= initial <= max, was " + initial + " and "
						+ max);
			}
			this.initialBackoff = initial;
			this.maxBackoff = max;
			return this;
		}

		/** The clock (nanoseconds, as {@link System#nanoTime}) that times a row's latency; for tests. */
		Builder clock(LongSupplier clock) {
			this.clock = clock;
			return this;
		}

		public ChatClient build() {
			if (baseUrl == null) {
				throw new IllegalStateException("base URL must be set");
			}
			String unsendable = apiKey == null ? null : unsendableKey(apiKey, keyHint);
			if (unsendable != null) {
				throw new IllegalArgumentException(unsendable);
			}
			return new ChatClient(this);
		}
	}
}
