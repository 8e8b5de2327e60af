package io.promptbatch.core.client.internal;

import io.promptbatch.core.client.ChatException;
import io.promptbatch.core.client.ChatResponse;
import io.promptbatch.core.client.RetriableChatException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import javax.net.ssl.TrustManagerFactory;
import org.jspecify.annotations.Nullable;

/**
 * One HTTP exchange with a chat-completions server and nothing more: a plain or a streamed attempt, or a
 * JSON POST, each ending in the response or in the {@link ChatException} that {@link ErrorMapper} makes
 * of the failure. No retry, pacing or limit: the client composes those around it. Thread-safe.
 * <p>
 * Plain attempts and POSTs go through the JDK's HTTP client; streamed attempts through {@link NettyStreams},
 * started with the first of them, which reads a stream's many small chunks for less CPU.
 */
public final class HttpTransport implements AutoCloseable {

	private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

	private final URI endpoint;
	private final @Nullable String apiKey;
	private final Duration timeout;
	private final Duration idleTimeout;
	private final ErrorMapper errors;
	private final ScheduledExecutorService timer;
	private final ExecutorService executor;
	private final ThreadGroup httpThreads = new ThreadGroup("promptbatch-http-client");
	private final HttpClient http;
	private final @Nullable TrustManagerFactory trust;
	private @Nullable NettyStreams streams;
	private boolean closed;

	/**
	 * @param endpoint where chat requests go ({@code .../chat/completions})
	 * @param apiKey the bearer key, or null; never logged
	 * @param timeout time allowed for one attempt (with streaming: until the first byte)
	 * @param idleTimeout with streaming: the longest silence allowed between bytes
	 * @param executor the client's few threads, on which each exchange's outcome is handed on
	 * @param timer checks streams for silence
	 */
	public HttpTransport(URI endpoint, @Nullable String apiKey, Duration timeout, Duration idleTimeout,
			ErrorMapper errors, ExecutorService executor, ScheduledExecutorService timer) {
		this(endpoint, apiKey, timeout, idleTimeout, errors, executor, timer, null);
	}

	/**
	 * A transport whose streamed attempts to an {@code https} endpoint trust the certificates of {@code trust}
	 * rather than the JVM's default trust store.
	 */
	HttpTransport(URI endpoint, @Nullable String apiKey, Duration timeout, Duration idleTimeout, ErrorMapper errors,
			ExecutorService executor, ScheduledExecutorService timer, @Nullable TrustManagerFactory trust) {
		this.trust = trust;
		this.endpoint = endpoint;
		this.apiKey = apiKey;
		this.timeout = timeout;
		this.idleTimeout = idleTimeout;
		this.errors = errors;
		this.timer = timer;
		this.executor = executor;
		// the HTTP client's own work (reading a response) runs on its selector thread; each exchange's outcome is
		// handed on to the client's few threads, so that what follows an answer never holds up the selector
		this.http = inGroup(httpThreads, () -> {
			HttpClient.Builder builder = HttpClient.newBuilder()
				.executor(Runnable::run)
				.version(HttpClient.Version.HTTP_1_1)
				.connectTimeout(CONNECT_TIMEOUT);
			if ("http".equalsIgnoreCase(endpoint.getScheme())) {
				builder.sslContext(new PlainHttpTls()).sslParameters(PlainHttpTls.parameters());
			}
			return builder.build();
		});
	}

	/** Who the transport talks to ({@code host:port}), for messages. */
	public String target() {
		return endpoint.getAuthority();
	}

	/** The failure of an exchange as a {@link ChatException} (one already is one). */
	public ChatException failure(Throwable failure) {
		return errors.fromTransport(failure, endpoint.getAuthority(), timeout);
	}

	/** One attempt of a chat request: streamed (the body asks for a stream) or plain. */
	public CompletableFuture<ChatResponse> attempt(byte[] body, boolean stream) {
		return stream ? streamAttempt(body) : plainAttempt(body);
	}

	/** POSTs a body and gives the 2xx response body, or fails with the mapped {@link ChatException}. */
	public CompletableFuture<byte[]> post(URI uri, byte[] body) {
		CompletableFuture<byte[]> result = new CompletableFuture<>();
		http.sendAsync(request(uri, body), HttpResponse.BodyHandlers.ofByteArray())
			.whenCompleteAsync((response, failure) -> {
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
			}, executor);
		return result;
	}

	/** A JSON POST with the key; the timeout covers the wait for the response's headers. */
	private HttpRequest request(URI uri, byte[] body) {
		HttpRequest.Builder request = HttpRequest.newBuilder(uri)
			.timeout(timeout)
			.header("Content-Type", "application/json")
			.header("Accept", "application/json")
			.POST(HttpRequest.BodyPublishers.ofByteArray(body));
		if (apiKey != null) {
			request.header("Authorization", "Bearer " + apiKey);
		}
		return request.build();
	}

	private CompletableFuture<ChatResponse> plainAttempt(byte[] body) {
		CompletableFuture<ChatResponse> result = new CompletableFuture<>();
		CompletableFuture<HttpResponse<byte[]>> exchange = http.sendAsync(request(endpoint, body),
				HttpResponse.BodyHandlers.ofByteArray());
		exchange.orTimeout(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS).whenCompleteAsync((response, failure) -> {
			if (failure != null) {
				exchange.cancel(true);
				result.completeExceptionally(failure(failure));
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
			catch (RuntimeException e) {
				// not the JSON expected (IllegalArgumentException, or the JSON library's own): never a row left open
				result.completeExceptionally(new RetriableChatException(status, "bad_response",
						e.getMessage() + " (the response may have been cut)", null, null, e));
			}
		}, executor);
		return result;
	}

	/**
	 * One streamed attempt, over Netty ({@link NettyStreams}): the request timeout covers the wait for the
	 * response's first byte; after that only silence longer than the idle timeout ends it, so a long answer
	 * that keeps streaming is never cut. The outcome is handed on to the client's threads, never run on the
	 * event loop that reads the streams.
	 */
	private CompletableFuture<ChatResponse> streamAttempt(byte[] body) {
		CompletableFuture<ChatResponse> result = new CompletableFuture<>();
		CompletableFuture<ChatResponse> exchange;
		try {
			exchange = streams().exchange(body);
		}
		catch (RuntimeException e) {
			result.completeExceptionally(failure(e));
			return result;
		}
		exchange.whenCompleteAsync((response, failure) -> {
			if (failure != null) {
				result.completeExceptionally(failure(failure));
			}
			else {
				result.complete(response);
			}
		}, task -> {
			try {
				executor.execute(task);
			}
			catch (RejectedExecutionException e) {
				// the client is closing (its threads went first): the outcome is still given, on the event loop
				task.run();
			}
		});
		// an attempt given up by its caller ends its exchange, and the connection with it
		result.whenComplete((response, failure) -> {
			if (failure != null) {
				exchange.cancel(false);
			}
		});
		return result;
	}

	/** The streamed exchanges, started with the first streamed attempt: a plain run loads no Netty class. */
	private NettyStreams streams() {
		synchronized (this) {
			if (closed) {
				throw new IllegalStateException("the transport is closed");
			}
			NettyStreams s = streams;
			if (s == null) {
				s = new NettyStreams(endpoint, apiKey, timeout, idleTimeout, errors, timer, trust);
				streams = s;
			}
			return s;
		}
	}

	/**
	 * Java 17's HttpClient cannot be closed: its selector thread waits in epoll until the client is
	 * collected, and a JVM that exits while a thread waits in native code pauses 300 ms for it. The thread
	 * was started in this transport's thread group; an interrupt ends it.
	 */
	@Override
	public void close() {
		httpThreads.interrupt();
		NettyStreams s;
		synchronized (this) {
			closed = true;
			s = streams;
		}
		if (s != null) {
			s.close();
		}
	}

	/** Runs {@code action} on a thread of {@code group}, so that threads it starts belong to the group. */
	private static <T> T inGroup(ThreadGroup group, Supplier<T> action) {
		AtomicReference<T> result = new AtomicReference<>();
		AtomicReference<RuntimeException> failure = new AtomicReference<>();
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
}
