package io.promptbatch.core.client.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.promptbatch.core.chat.ChatRequest;
import io.promptbatch.core.chat.Message;
import io.promptbatch.core.client.ChatException;
import io.promptbatch.core.client.RetriableChatException;
import io.promptbatch.core.client.ScriptedServer;
import io.promptbatch.core.client.internal.SocketSseServer.Reply;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Streamed attempts against a server on a real socket that counts its connections: a connection is reused
 * after an answer read to its end, never after a failure; the request carries the headers and body of the
 * JDK path; the first-byte and idle timeouts end attempts on a server that stalls.
 */
class StreamConnectionsIntegrationTests {

	private static final byte[] BODY = WireFormat.streamingRequestBody(
			WireFormat.requestBody(new ChatRequest("kimi-k2.5", List.of(Message.user("Hi")), null, null)));

	private static final Duration TIMEOUT = Duration.ofMillis(600);

	private static final Duration IDLE = Duration.ofMillis(400);

	private final ExecutorService executor = Executors.newFixedThreadPool(2);

	private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();

	@AfterEach
	void stop() {
		executor.shutdownNow();
		timer.shutdownNow();
	}

	private HttpTransport transport(SocketSseServer server, String apiKey) {
		return new HttpTransport(URI.create("http://127.0.0.1:" + server.port() + "/v1/chat/completions"), apiKey,
				TIMEOUT, IDLE, new ErrorMapper("the key in PROMPTBATCH_API_KEY"), executor, timer);
	}

	private static ChatException failureOf(CompletableFuture<?> future) {
		// bounded: an attempt that never ends fails the test instead of holding the build
		return (ChatException) ChatException.unwrap(future.orTimeout(30, java.util.concurrent.TimeUnit.SECONDS)
			.handle((r, e) -> e).join());
	}

	@Test
	void twoAnswersOneAfterTheOtherReuseOneConnection() throws Exception {
		try (SocketSseServer server = new SocketSseServer(null, Reply.ANSWER);
				HttpTransport transport = transport(server, "sk-test")) {
			// when
			String first = transport.attempt(BODY, true).join().content();
			String second = transport.attempt(BODY, true).join().content();

			// then: both answers, over the one connection
			assertThat(first).isEqualTo("Hello");
			assertThat(second).isEqualTo("Hello");
			assertThat(server.requests).hasSize(2);
			assertThat(server.connections()).isEqualTo(1);
		}
	}

	@Test
	void sendsTheHeadersAndTheBodyAsGiven() throws Exception {
		try (SocketSseServer server = new SocketSseServer(null, Reply.ANSWER);
				HttpTransport transport = transport(server, "sk-test")) {
			transport.attempt(BODY, true).join();

			SocketSseServer.Request request = server.requests.get(0);
			assertThat(request.line()).isEqualTo("POST /v1/chat/completions HTTP/1.1");
			assertThat(request.headers()).containsEntry("authorization", "Bearer sk-test")
				.containsEntry("content-type", "application/json")
				.containsEntry("accept", "text/event-stream")
				.containsEntry("host", "127.0.0.1:" + server.port())
				.containsEntry("content-length", String.valueOf(BODY.length))
				.containsEntry("user-agent", "Java-http-client/" + System.getProperty("java.version"));
			assertThat(request.body()).isEqualTo(BODY);
			assertThat(new String(request.body(), StandardCharsets.UTF_8)).endsWith("\"stream\":true,"
					+ "\"stream_options\":{\"include_usage\":true}}");
		}
	}

	@Test
	void sendsNoAuthorizationWithoutAKey() throws Exception {
		try (SocketSseServer server = new SocketSseServer(null, Reply.ANSWER);
				HttpTransport transport = transport(server, null)) {
			transport.attempt(BODY, true).join();

			assertThat(server.requests.get(0).headers()).doesNotContainKey("authorization");
		}
	}

	@Test
	void aStreamThatBrokeOffDoesNotGiveBackItsConnection() throws Exception {
		try (SocketSseServer server = new SocketSseServer(null, Reply.BREAK, Reply.ANSWER);
				HttpTransport transport = transport(server, "sk-test")) {
			// when: a stream cut in the middle of its chunked body, then two whole ones
			ChatException broken = failureOf(transport.attempt(BODY, true));
			transport.attempt(BODY, true).join();
			transport.attempt(BODY, true).join();

			// then: a retriable broken stream; the next answer on a new connection, which the third reuses
			assertThat(broken).isInstanceOf(RetriableChatException.class);
			assertThat(broken.code()).isEqualTo("stream_broken");
			assertThat(server.requests).hasSize(3);
			assertThat(server.connections()).isEqualTo(2);
		}
	}

	@Test
	void aConnectionTheServerSaidToCloseIsNotKept() throws Exception {
		try (SocketSseServer server = new SocketSseServer(null, Reply.ANSWER_AND_CLOSE, Reply.ANSWER);
				HttpTransport transport = transport(server, "sk-test")) {
			assertThat(transport.attempt(BODY, true).join().content()).isEqualTo("Hello");
			assertThat(transport.attempt(BODY, true).join().content()).isEqualTo("Hello");

			assertThat(server.connections()).isEqualTo(2);
		}
	}

	@Test
	void anErrorStatusIsReadWholeMappedWithItsHeadersAndTheConnectionKept() throws Exception {
		try (SocketSseServer server = new SocketSseServer(null, Reply.TOO_MANY, Reply.ANSWER);
				HttpTransport transport = transport(server, "sk-test")) {
			// when
			ChatException limited = failureOf(transport.attempt(BODY, true));
			String answer = transport.attempt(BODY, true).join().content();

			// then: the 429 with its Retry-After and request id, and the response read to its end left the
			// connection fit for the answer
			assertThat(limited).isInstanceOf(RetriableChatException.class);
			assertThat(limited.status()).isEqualTo(429);
			assertThat(limited.retryAfter()).isEqualTo(Duration.ofSeconds(3));
			assertThat(limited.requestId()).isEqualTo("req-9");
			assertThat(limited.getMessage()).contains("slow down");
			assertThat(answer).isEqualTo("Hello");
			assertThat(server.connections()).isEqualTo(1);
		}
	}

	@Test
	void noHeadersWithinTheTimeoutIsATimeoutAndTheConnectionIsClosed() throws Exception {
		try (SocketSseServer server = new SocketSseServer(null, Reply.STALL_HEADERS, Reply.ANSWER);
				HttpTransport transport = transport(server, "sk-test")) {
			// when
			long t0 = System.nanoTime();
			ChatException timeout = failureOf(transport.attempt(BODY, true));
			long millis = (System.nanoTime() - t0) / 1_000_000;
			String answer = transport.attempt(BODY, true).join().content();

			// then: the request timeout, as the JDK path words it, and the next answer on a new connection
			assertThat(timeout).isInstanceOf(RetriableChatException.class);
			assertThat(timeout.code()).isEqualTo("timeout");
			assertThat(timeout.getMessage()).isEqualTo("no answer from 127.0.0.1:" + server.port() + " within "
					+ TIMEOUT.toMillis() + " ms");
			assertThat(millis).isBetween(TIMEOUT.toMillis(), TIMEOUT.toMillis() + 2000);
			assertThat(answer).isEqualTo("Hello");
			assertThat(server.connections()).isEqualTo(2);
		}
	}

	@Test
	void aStreamSilentLongerThanTheIdleTimeoutEndsAndItsConnectionIsClosed() throws Exception {
		try (SocketSseServer server = new SocketSseServer(null, Reply.STALL_BODY, Reply.ANSWER);
				HttpTransport transport = transport(server, "sk-test")) {
			// when
			long t0 = System.nanoTime();
			ChatException silent = failureOf(transport.attempt(BODY, true));
			long millis = (System.nanoTime() - t0) / 1_000_000;
			String answer = transport.attempt(BODY, true).join().content();

			// then: the stream ended for its silence, not for the request timeout, which its headers met
			assertThat(silent).isInstanceOf(RetriableChatException.class);
			assertThat(silent.code()).isEqualTo("stream_idle");
			assertThat(millis).isGreaterThanOrEqualTo(IDLE.toMillis());
			assertThat(answer).isEqualTo("Hello");
			assertThat(server.connections()).isEqualTo(2);
		}
	}

	@Test
	void anErrorBodyThatStallsEndsWithinTheRequestTimeoutAndItsConnectionIsClosed() throws Exception {
		try (SocketSseServer server = new SocketSseServer(null, Reply.STALL_ERROR_BODY, Reply.ANSWER);
				HttpTransport transport = transport(server, "sk-test")) {
			// when: a 502 whose body stops a fiftieth of the way
			long t0 = System.nanoTime();
			ChatException stalled = failureOf(transport.attempt(BODY, true));
			long millis = (System.nanoTime() - t0) / 1_000_000;
			String answer = transport.attempt(BODY, true).join().content();

			// then: the request timeout ends it (no idle watchdog watches a body that is not a stream), retriable, and
			// the next answer comes on a new connection
			assertThat(stalled).isInstanceOf(RetriableChatException.class);
			assertThat(stalled.code()).isEqualTo("timeout");
			assertThat(millis).isBetween(TIMEOUT.toMillis(), TIMEOUT.toMillis() + 2000);
			assertThat(answer).isEqualTo("Hello");
			assertThat(server.connections()).isEqualTo(2);
		}
	}

	@Test
	void aResponseThatIsNotHttpIsARetriableConnectionErrorSayingWhy() throws Exception {
		try (SocketSseServer server = new SocketSseServer(null, Reply.GARBAGE, Reply.ANSWER);
				HttpTransport transport = transport(server, "sk-test")) {
			// when
			ChatException unreadable = failureOf(transport.attempt(BODY, true));
			String answer = transport.attempt(BODY, true).join().content();

			// then: retried as a failed connection, with what was wrong, as the JDK's client reports a protocol error
			assertThat(unreadable).isInstanceOf(RetriableChatException.class);
			assertThat(unreadable.code()).isEqualTo("connection_error");
			assertThat(unreadable.getMessage()).contains("unreadable response");
			assertThat(answer).isEqualTo("Hello");
		}
	}

	@Test
	void responseHeadersOfTwentyKilobytesAreRead() throws Exception {
		try (SocketSseServer server = new SocketSseServer(null, Reply.BIG_HEADERS);
				HttpTransport transport = transport(server, "sk-test")) {
			assertThat(transport.attempt(BODY, true).join().content()).isEqualTo("Hello");
		}
	}

	@Test
	void aRefusedConnectionIsMappedAsTheJdkPathMapsIt() throws Exception {
		int port;
		try (ServerSocket socket = new ServerSocket(0)) {
			port = socket.getLocalPort();
		}
		try (HttpTransport transport = new HttpTransport(URI.create("http://127.0.0.1:" + port + "/v1/chat/completions"),
				null, TIMEOUT, IDLE, new ErrorMapper("the key"), executor, timer)) {
			ChatException refused = failureOf(transport.attempt(BODY, true));

			assertThat(refused).isInstanceOf(RetriableChatException.class);
			assertThat(((RetriableChatException) refused).connectionRefused()).isTrue();
			assertThat(refused.code()).isEqualTo("connection_refused");
			assertThat(refused.getMessage()).startsWith("cannot connect to 127.0.0.1:" + port);
		}
	}

	@Test
	void aClosedTransportEndsItsOpenStreams() throws Exception {
		try (SocketSseServer server = new SocketSseServer(null, Reply.STALL_BODY)) {
			HttpTransport transport = new HttpTransport(
					URI.create("http://127.0.0.1:" + server.port() + "/v1/chat/completions"), null, TIMEOUT,
					Duration.ofMinutes(5), new ErrorMapper("the key"), executor, timer);
			CompletableFuture<?> open = transport.attempt(BODY, true);
			await().until(() -> server.requests.size() == 1);

			transport.close();

			assertThat(failureOf(open)).isInstanceOf(RetriableChatException.class);
		}
	}

	/** The threads now alive whose name starts with {@code prefix} or ends with {@code suffix}, not in {@code before}. */
	private static List<Thread> newThreads(java.util.Set<Thread> before, String prefix, String suffix) {
		return Thread.getAllStackTraces()
			.keySet()
			.stream()
			.filter(t -> !before.contains(t) && (t.getName().startsWith(prefix) && t.getName().endsWith(suffix)))
			.toList();
	}

	@Test
	void aPlainAttemptStartsNoStreamThread() throws Exception {
		try (ScriptedServer server = new ScriptedServer(ScriptedServer.Reply.ok(), ScriptedServer.Reply.sse(SocketSseServer.ANSWER))) {
			URI endpoint = URI.create(server.baseUrl() + "/chat/completions");
			java.util.Set<Thread> before = Thread.getAllStackTraces().keySet();
			try (HttpTransport plain = new HttpTransport(endpoint, null, TIMEOUT, IDLE, new ErrorMapper("the key"),
					executor, timer)) {
				plain.attempt(BODY, false).join();

				assertThat(newThreads(before, "promptbatch-stream", "")).isEmpty();
			}
			before = Thread.getAllStackTraces().keySet();
			try (HttpTransport streamed = new HttpTransport(endpoint, null, TIMEOUT, IDLE, new ErrorMapper("the key"),
					executor, timer)) {
				assertThat(streamed.attempt(BODY, true).join().content()).isEqualTo("Hello");

				assertThat(newThreads(before, "promptbatch-stream", "")).hasSize(1).allMatch(Thread::isDaemon);
			}
		}
	}

	@Test
	void leavesNoStreamThreadBehindOnceClosed() throws Exception {
		try (SocketSseServer server = new SocketSseServer(null, Reply.ANSWER)) {
			java.util.Set<Thread> before = Thread.getAllStackTraces().keySet();
			HttpTransport transport = transport(server, null);
			transport.attempt(BODY, true).join();
			List<Thread> loops = newThreads(before, "promptbatch-stream", "");
			assertThat(loops).hasSize(1);

			long t0 = System.nanoTime();
			transport.close();

			// ended at once: close() waited for the loop, which had nothing left to do
			assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(1000);
			loops.get(0).join(5_000);
			assertThat(loops.get(0).isAlive()).isFalse();
		}
	}
}
