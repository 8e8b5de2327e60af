package io.promptbatch.core.client;

import dev.failsafe.Failsafe;
import dev.failsafe.FailsafeExecutor;
import dev.failsafe.RetryPolicy;
import io.promptbatch.core.client.internal.ErrorMapper;
import io.promptbatch.core.client.internal.PlainHttpTls;
import io.promptbatch.core.client.internal.StreamingResponse;
import io.promptbatch.core.client.internal.WireFormat;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An OpenAI-compatible chat-completions client: {@code POST {baseUrl}/chat/completions} with a
 * bearer key, retrying transient failures (429, 408, 5xx, connection errors, timeouts) with
 * exponential backoff and full jitter, honouring {@code Retry-After}. Non-blocking: each call returns
 * at once with a future of its {@link ChatOutcome}, which never completes exceptionally. Thread-safe.
 * Build with {@link #builder()}.
 */
public final class ChatClient implements AutoCloseable {

	private static final Logger log = LoggerFactory.getLogger(ChatClient.class);

	private final String baseUrl;
	private final URI endpoint;
	private final @Nullable String apiKey;
	private final Duration timeout;
	private final Duration initialBackoff;
	private final Duration maxBackoff;
	private final boolean stream;
	private final Duration idleTimeout;
	private final java.util.concurrent.ScheduledExecutorService timer;
	private final io.promptbatch.core.limit.@Nullable RateLimiter requestRate;
	private final io.promptbatch.core.limit.@Nullable RateLimiter tokenRate;
	private final io.promptbatch.core.cost.@Nullable TokenEstimator tokens;
	private final java.util.function.IntConsumer attemptStatus;
	private final io.promptbatch.core.limit.@Nullable ConcurrencyLimit attemptLimit;
	private final io.promptbatch.core.limit.OutageBreaker breaker;
	private final HttpClient http;
	private final ExecutorService executor;
	private final ThreadGroup httpThreads = new ThreadGroup("promptbatch-http-client");
	private final ErrorMapper errors;
	private final FailsafeExecutor<ChatResponse> failsafe;
	private final FailsafeExecutor<Long> countFailsafe;
	private final URI tokenCountEndpoint;

	private ChatClient(Builder b) {
		this.baseUrl = b.baseUrl;
		this.endpoint = URI.create(b.baseUrl + "/chat/completions");
		this.tokenCountEndpoint = URI.create(b.baseUrl + "/tokenizers/estimate-token-count");
		this.apiKey = b.apiKey;
		this.timeout = b.timeout;
		this.initialBackoff = b.initialBackoff;
		this.maxBackoff = b.maxBackoff;
		this.stream = b.stream;
		this.idleTimeout = b.idleTimeout;
		this.requestRate = b.requestsPerMinute > 0 ? new io.promptbatch.core.limit.RateLimiter(b.requestsPerMinute, 1)
				: null;
		this.tokenRate = b.tokensPerMinute > 0
				? new io.promptbatch.core.limit.RateLimiter(b.tokensPerMinute, Math.max(1, b.tokensPerMinute / 60)) : null;
		this.tokens = b.tokensPerMinute > 0 ? new io.promptbatch.core.cost.TokenEstimator() : null;
		this.attemptStatus = b.attemptStatus;
		this.attemptLimit = b.attemptLimit;
		this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
			Thread t = new Thread(r, "promptbatch-stream-timer");
			t.setDaemon(true);
			return t;
		});
		this.breaker = new io.promptbatch.core.limit.OutageBreaker(b.maxOutage, timer, endpoint::getAuthority);
		this.errors = new ErrorMapper(b.keyHint);
		AtomicInteger threads = new AtomicInteger();
		this.executor = Executors.newFixedThreadPool(Math.max(2, Runtime.getRuntime().availableProcessors()), r -> {
			Thread t = new Thread(r, "promptbatch-http-" + threads.incrementAndGet());
			t.setDaemon(true);
			return t;
		});
		// the client's own few threads, rather than the HTTP client's default pool, which grows a thread per
		// concurrent exchange
		this.http = inGroup(httpThreads, () -> {
			HttpClient.Builder builder = HttpClient.newBuilder()
				.executor(executor)
				.version(HttpClient.Version.HTTP_1_1)
				.connectTimeout(b.connectTimeout);
			if ("http".equalsIgnoreCase(endpoint.getScheme())) {
				builder.sslContext(new PlainHttpTls()).sslParameters(PlainHttpTls.parameters());
			}
			return builder.build();
		});
		RetryPolicy<ChatResponse> retry = RetryPolicy.<ChatResponse>builder()
			.handle(RetriableChatException.class)
			.withMaxRetries(b.maxRetries)
			.withMaxDuration(b.maxRowTime)
			.withDelayFn(ctx -> backoff(ctx.getLastException(), ctx.getAttemptCount()))
			.onRetryScheduled(e -> {
				Throwable last = e.getLastException();
				log.warn("Retrying request in {} ms (attempt {} of {}): {}", e.getDelay().toMillis(),
						e.getAttemptCount() + 1, b.maxRetries + 1,
						last instanceof ChatException ce ? ce.describe() : String.valueOf(last));
			})
			.build();
		this.failsafe = Failsafe.with(retry).with(executor);
		this.countFailsafe = Failsafe.with(RetryPolicy.<Long>builder()
			.handle(RetriableChatException.class)
			.withMaxRetries(b.maxRetries)
			.withDelayFn(ctx -> backoff(ctx.getLastException(), ctx.getAttemptCount()))
			.build()).with(executor);
	}

	/**
	 * The provider's own count of a request's prompt tokens, from Moonshot's
	 * {@code POST {baseUrl}/tokenizers/estimate-token-count} ({@code data.total_tokens}). Retried like
	 * a chat request; fails with a {@link ChatException}.
	 */
	public CompletableFuture<Long> countTokens(ChatRequest request) {
		byte[] body = WireFormat.requestBody(request);
		return countFailsafe.getStageAsync(() -> post(tokenCountEndpoint, body).thenApply(response -> {
			tools.jackson.databind.JsonNode total = WireFormat.JSON.readTree(response).path("data").path("total_tokens");
			if (!total.isNumber()) {
				throw new NonRetriableChatException(200, "bad_response",
						"the token-count response has no data.total_tokens", null, null);
			}
			return total.asLong();
		}));
	}

	/** POSTs a body and gives the 2xx response body, or fails with the mapped {@link ChatException}. */
	private CompletableFuture<byte[]> post(URI uri, byte[] body) {
		HttpRequest request = request(uri, body, "application/json");
		CompletableFuture<byte[]> result = new CompletableFuture<>();
		http.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray()).whenComplete((response, failure) -> {
			if (failure != null) {
				result.completeExceptionally(errors.fromTransport(failure, uri.getAuthority(), timeout));
			}
			else if (response.statusCode() / 100 != 2) {
				result.completeExceptionally(errors.fromResponse(response.statusCode(), response.headers(),
						response.body()));
			}
			else {
				result.complete(response.body());
			}
		});
		return result;
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
	 * {@link #send(ChatRequest)}, given the request's {@link WireFormat#requestBody} when the caller has
	 * made it already (for its fingerprint), so that it is not made twice.
	 */
	public CompletableFuture<ChatOutcome> send(ChatRequest request, byte @Nullable [] requestBody) {
		long start = System.nanoTime();
		// when the first attempt went out: a row's latency does not count its wait for the rate limits, an
		// outage's pause or an adaptive concurrency slot before it (retries and their back-off do count)
		java.util.concurrent.atomic.AtomicLong sent = new java.util.concurrent.atomic.AtomicLong();
		AtomicInteger attempts = new AtomicInteger();
		byte[] body = stream ? WireFormat.streamingRequestBody(request)
				: requestBody != null ? requestBody : WireFormat.requestBody(request);
		long tokenEstimate = tokens == null ? 0
				: tokens.promptTokens(request.messages()) + (request.maxTokens() == null ? 0 : request.maxTokens());
		return failsafe.getStageAsync(() -> {
			attempts.incrementAndGet();
			Duration wait = pace(tokenEstimate);
			if (wait.isZero()) {
				return paced(body, tokenEstimate, sent);
			}
			return CompletableFuture
				.runAsync(() -> {
				}, CompletableFuture.delayedExecutor(wait.toNanos(), TimeUnit.NANOSECONDS, executor))
				.thenCompose(ignored -> paced(body, tokenEstimate, sent));
		}).handle((response, failure) -> {
			long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - (sent.get() != 0 ? sent.get() : start));
			if (failure == null) {
				return new ChatOutcome.Answered(response, attempts.get(), millis);
			}
			ChatException error = errors.fromTransport(failure, endpoint.getAuthority(), timeout);
			if (error instanceof RetriableChatException r && r.connectionRefused()) {
				error = new FatalChatException(0, "connection_refused", r.getMessage() + " after " + attempts.get()
						+ " attempts; check --base-url / --provider and that the server is up, then run the same "
						+ "command again", null, r);
			}
			return new ChatOutcome.Failed(error, attempts.get(), millis);
		});
	}

	/** How long to wait so that this attempt keeps to the request and token rates. */
	private Duration pace(long tokenEstimate) {
		Duration wait = requestRate == null ? Duration.ZERO : requestRate.reserve(1);
		if (tokenRate != null) {
			Duration tokenWait = tokenRate.reserve(tokenEstimate);
			wait = tokenWait.compareTo(wait) > 0 ? tokenWait : wait;
		}
		return wait;
	}

	/** One attempt; afterwards the token rate is corrected by the tokens the provider reported. */
	private CompletableFuture<ChatResponse> paced(byte[] body, long tokenEstimate,
			java.util.concurrent.atomic.AtomicLong sent) {
		io.promptbatch.core.limit.ConcurrencyLimit limit = attemptLimit;
		java.util.function.Supplier<CompletableFuture<ChatResponse>> go = () -> {
			sent.compareAndSet(0, System.nanoTime());
			return stream ? streamAttempt(body) : attempt(body);
		};
		CompletableFuture<ChatResponse> attempt = breaker.permit().thenCompose(permitted -> {
			if (limit == null) {
				return go.get();
			}
			return limit.acquireAsync()
				.thenCompose(slot -> go.get().whenComplete((r, e) -> {
					limit.onAttempt(e != null && isOverload(e));
					limit.release();
				}));
		}).whenComplete((r, e) -> {
			Throwable cause = e == null ? null : ErrorMapper.unwrap(e);
			if (!(cause instanceof FatalChatException)) {
				breaker.record(cause instanceof RetriableChatException rc && (rc.status() == 0 || rc.status() >= 500));
			}
		});
		attempt = attempt.whenComplete((response, failure) -> attemptStatus.accept(
				failure == null ? 200 : ErrorMapper.unwrap(failure) instanceof ChatException ce ? ce.status() : 0));
		if (tokenRate == null) {
			return attempt;
		}
		return attempt.whenComplete((response, failure) -> tokenRate
			.adjust((response == null ? 0 : response.usage().totalTokens()) - tokenEstimate));
	}

	/** A JSON POST with the key; the timeout covers the wait for the response's headers. */
	private HttpRequest request(URI uri, byte[] body, String accept) {
		HttpRequest.Builder request = HttpRequest.newBuilder(uri)
			.timeout(timeout)
			.header("Content-Type", "application/json")
			.header("Accept", accept)
			.POST(HttpRequest.BodyPublishers.ofByteArray(body));
		if (apiKey != null) {
			request.header("Authorization", "Bearer " + apiKey);
		}
		return request.build();
	}

	private static boolean isOverload(Throwable failure) {
		return ErrorMapper.unwrap(failure) instanceof RetriableChatException r
				&& (r.status() == 429 || r.status() == 503 || r.status() == 529);
	}

	private CompletableFuture<ChatResponse> attempt(byte[] body) {
		HttpRequest request = request(endpoint, body, "application/json");
		CompletableFuture<ChatResponse> result = new CompletableFuture<>();
		CompletableFuture<HttpResponse<byte[]>> exchange = http.sendAsync(request,
				HttpResponse.BodyHandlers.ofByteArray());
		exchange.orTimeout(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS).whenComplete((response, failure) -> {
			if (failure != null) {
				exchange.cancel(true);
				result.completeExceptionally(errors.fromTransport(failure, endpoint.getAuthority(), timeout));
				return;
			}
			int status = response.statusCode();
			if (status / 100 != 2) {
				result.completeExceptionally(errors.fromResponse(status, response.headers(), response.body()));
				return;
			}
			try {
				result.complete(WireFormat.parseResponse(response.body()));
			}
			catch (IllegalArgumentException e) {
				result.completeExceptionally(new RetriableChatException(status, "bad_response",
						e.getMessage() + " (the response may have been cut)", null, null, e));
			}
		});
		return result;
	}

	/**
	 * One streamed attempt: the request timeout covers the wait for the response's first byte; after
	 * that only silence longer than the idle timeout ends it, so a long answer that keeps streaming is
	 * never cut.
	 */
	private CompletableFuture<ChatResponse> streamAttempt(byte[] body) {
		HttpRequest request = request(endpoint, body, "text/event-stream");
		CompletableFuture<ChatResponse> result = new CompletableFuture<>();
		http.sendAsync(request, info -> {
			int status = info.statusCode();
			if (status / 100 != 2) {
				return HttpResponse.BodySubscribers.mapping(HttpResponse.BodySubscribers.ofByteArray(),
						bytes -> (Object) errors.fromResponse(status, info.headers(), bytes));
			}
			if (info.headers().firstValue("Content-Type").orElse("").contains("event-stream")) {
				return HttpResponse.BodySubscribers.mapping(new StreamingResponse(idleTimeout, timer, errors, info.headers()), r -> (Object) r);
			}
			// a server that ignored "stream": a plain completion
			return HttpResponse.BodySubscribers.mapping(HttpResponse.BodySubscribers.ofByteArray(), bytes -> {
				try {
					return (Object) WireFormat.parseResponse(bytes);
				}
				catch (IllegalArgumentException e) {
					return new RetriableChatException(status, "bad_response", e.getMessage(), null, null, e);
				}
			});
		}).whenComplete((response, failure) -> {
			if (failure != null) {
				result.completeExceptionally(errors.fromTransport(failure, endpoint.getAuthority(), timeout));
			}
			else if (response.body() instanceof ChatResponse r) {
				result.complete(r);
			}
			else {
				result.completeExceptionally((ChatException) response.body());
			}
		});
		return result;
	}

	private Duration backoff(@Nullable Throwable last, int attemptsSoFar) {
		if (last instanceof ChatException ce && ce.retryAfter() != null) {
			Duration asked = ce.retryAfter();
			// never earlier than asked; spread by up to 20% so that waiting requests do not return together
			long spread = (long) (asked.toMillis() * 0.2 * ThreadLocalRandom.current().nextDouble());
			return asked.plusMillis(spread);
		}
		long cap = initialBackoff.toMillis() << Math.min(20, Math.max(0, attemptsSoFar - 1));
		cap = Math.min(cap, maxBackoff.toMillis());
		return Duration.ofMillis(ThreadLocalRandom.current().nextLong(cap + 1));
	}

	@Override
	public void close() {
		executor.shutdownNow();
		timer.shutdownNow();
		// Java 17's HttpClient cannot be closed: its selector thread waits in epoll until the client is
		// collected, and a JVM that exits while a thread waits in native code pauses 300 ms for it. The thread
		// was started in this client's thread group; an interrupt ends it.
		httpThreads.interrupt();
	}

	/** Runs {@code action} on a thread of {@code group}, so that threads it starts belong to the group. */
	private static <T> T inGroup(ThreadGroup group, java.util.function.Supplier<T> action) {
		java.util.concurrent.atomic.AtomicReference<T> result = new java.util.concurrent.atomic.AtomicReference<>();
		java.util.concurrent.atomic.AtomicReference<RuntimeException> failure = new java.util.concurrent.atomic.AtomicReference<>();
		Thread t = new Thread(group, () -> {
			try {
				result.set(action.get());
			}
			catch (RuntimeException e) {
				failure.set(e);
			}
		}, group.getName() + "-start");
		t.start();
		try {
			t.join();
		}
		catch (InterruptedException e) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException("interrupted while starting the HTTP client", e);
		}
		if (failure.get() != null) {
			throw failure.get();
		}
		return result.get();
	}

	/** Builds a {@link ChatClient}, checking each setting as it is given. */
	public static final class Builder {

		private @Nullable String baseUrl;
		private @Nullable String apiKey;
		private String keyHint = "the API key (PROMPTBATCH_API_KEY)";
		private Duration timeout = Duration.ofSeconds(120);
		private Duration connectTimeout = Duration.ofSeconds(10);
		private int maxRetries = 6;
		private Duration initialBackoff = Duration.ofMillis(500);
		private Duration maxBackoff = Duration.ofSeconds(30);
		private boolean stream;
		private Duration idleTimeout = Duration.ofSeconds(60);
		private long requestsPerMinute;
		private long tokensPerMinute;
		private java.util.function.IntConsumer attemptStatus = status -> {
		};
		private io.promptbatch.core.limit.@Nullable ConcurrencyLimit attemptLimit;
		private Duration maxOutage = Duration.ofMinutes(5);
		private Duration maxRowTime = Duration.ofMinutes(15);

		/** Time after which a request is not retried any more, however many retries are left. */
		public Builder maxRowTime(Duration maxRowTime) {
			if (maxRowTime.isNegative() || maxRowTime.isZero()) {
				throw new IllegalArgumentException("max time per row must be positive, was " + maxRowTime);
			}
			this.maxRowTime = maxRowTime;
			return this;
		}

		/**
		 * How long the provider may be down (nearly every attempt failing on its side) before requests
		 * fail for good; meanwhile no attempt starts but periodic probes.
		 */
		public Builder maxOutage(Duration maxOutage) {
			if (maxOutage.isNegative()) {
				throw new IllegalArgumentException("max outage must not be negative, was " + maxOutage);
			}
			this.maxOutage = maxOutage;
			return this;
		}

		/**
		 * Holds each attempt (not each row) to this limit, so that a request waiting out a backoff
		 * leaves its slot to others; an adaptive limit learns from each attempt's outcome.
		 */
		public Builder attemptLimit(io.promptbatch.core.limit.@Nullable ConcurrencyLimit limit) {
			this.attemptLimit = limit;
			return this;
		}

		/**
		 * Told the HTTP status of every attempt as it ends (0 when no response came), for adaptive
		 * concurrency and outage detection.
		 */
		public Builder onAttempt(java.util.function.IntConsumer listener) {
			this.attemptStatus = listener;
			return this;
		}

		/** Requests per minute at most, paced evenly across all requests of this client; 0 for no limit. */
		public Builder requestsPerMinute(long rpm) {
			if (rpm < 0) {
				throw new IllegalArgumentException("requests per minute must not be negative, was " + rpm);
			}
			this.requestsPerMinute = rpm;
			return this;
		}

		/**
		 * Tokens per minute at most, across all requests of this client; 0 for no limit. Each request
		 * reserves its estimated prompt tokens plus {@code max_tokens} before it is sent, corrected by the
		 * usage the provider reports.
		 */
		public Builder tokensPerMinute(long tpm) {
			if (tpm < 0) {
				throw new IllegalArgumentException("tokens per minute must not be negative, was " + tpm);
			}
			this.tokensPerMinute = tpm;
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
			if (idleTimeout.isNegative() || idleTimeout.isZero()) {
				throw new IllegalArgumentException("idle timeout must be positive, was " + idleTimeout);
			}
			this.idleTimeout = idleTimeout;
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

		/** Where the key comes from, for the message when it is rejected (e.g. "the key in ACEDATA_API_TOKEN"). */
		public Builder keyHint(String keyHint) {
			this.keyHint = keyHint;
			return this;
		}

		/** Time allowed for one attempt, from sending to the whole answer. */
		public Builder timeout(Duration timeout) {
			if (timeout.isNegative() || timeout.isZero()) {
				throw new IllegalArgumentException("timeout must be positive, was " + timeout);
			}
			this.timeout = timeout;
			return this;
		}

		public Builder connectTimeout(Duration connectTimeout) {
			if (connectTimeout.isNegative() || connectTimeout.isZero()) {
				throw new IllegalArgumentException("connect timeout must be positive, was " + connectTimeout);
			}
			this.connectTimeout = connectTimeout;
			return this;
		}

		/** Retries after the first attempt; 0 disables retry. */
		public Builder maxRetries(int maxRetries) {
			if (maxRetries < 0) {
				throw new IllegalArgumentException("max retries must not be negative, was " + maxRetries);
			}
			this.maxRetries = maxRetries;
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

		public ChatClient build() {
			if (baseUrl == null) {
				throw new IllegalStateException("base URL must be set");
			}
			return new ChatClient(this);
		}
	}
}
