package io.promptbatch.core.client;

import io.promptbatch.core.chat.ChatRequest;
import io.promptbatch.core.chat.Usage;
import static org.assertj.core.api.Assertions.assertThat;

import io.promptbatch.core.chat.Message;
import io.promptbatch.core.client.ScriptedServer.Reply;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ChatClientIntegrationTests {

	private static final ChatRequest REQUEST = new ChatRequest("kimi-k2.5", List.of(Message.user("Hi")), 100, 0.3);

	private static final String ACEDATA_ERROR = "{\"success\":false,\"error\":{\"code\":\"%s\",\"message\":\"%s\"},"
			+ "\"trace_id\":\"trace-123\"}";

	private static ChatClient client(ScriptedServer server) {
		return ChatClient.builder()
			.baseUrl(server.baseUrl())
			.apiKey("sk-test-secret")
			.keyHint("the key in ACEDATA_API_TOKEN")
			.timeout(Duration.ofMillis(800))
			.maxRetries(3)
			.backoff(Duration.ofMillis(10), Duration.ofMillis(50))
			.build();
	}

	private static ChatOutcome send(ScriptedServer server) {
		try (ChatClient client = client(server)) {
			return client.send(REQUEST).join();
		}
	}

	static Stream<Arguments> transientStatuses() {
		return Stream.of(Arguments.of(429, ACEDATA_ERROR.formatted("too_many_requests", "slow down")),
				Arguments.of(500, ACEDATA_ERROR.formatted("api_error", "boom")),
				Arguments.of(502, "<html><body><h1>502 Bad Gateway</h1><hr>nginx</body></html>"),
				Arguments.of(503, "{\"error\":{\"type\":\"engine_overloaded_error\",\"message\":\"The engine is "
						+ "currently overloaded, please try again later\"}}"),
				Arguments.of(504, "gateway timeout"), Arguments.of(408, ""));
	}

	@ParameterizedTest(name = "{0} is retried, then answered")
	@MethodSource("transientStatuses")
	void retriesTransientStatusesUntilAnswered(int status, String body) throws Exception {
		// given
		try (ScriptedServer server = new ScriptedServer(Reply.of(status, body), Reply.ok())) {
			// when
			ChatOutcome outcome = send(server);

			// then
			assertThat(outcome).isInstanceOf(ChatOutcome.Answered.class);
			assertThat(outcome.attempts()).isEqualTo(2);
			assertThat(server.requests()).isEqualTo(2);
		}
	}

	static Stream<Arguments> rowFailures() {
		return Stream.of(Arguments.of(400, ACEDATA_ERROR.formatted("token_mismatched", "bad tokens"), "token_mismatched"),
				Arguments.of(404, "{\"error\":{\"message\":\"model not found\",\"type\":\"invalid_request_error\","
						+ "\"code\":\"model_not_found\"}}", "model_not_found"),
				Arguments.of(413, "{\"error\":{\"type\":\"invalid_request_error\",\"message\":\"too long\"}}",
						"invalid_request_error"),
				Arguments.of(422, ACEDATA_ERROR.formatted("content_filter", "rejected by the content filter"),
						"content_filter"));
	}

	@ParameterizedTest(name = "{0} fails the row at once")
	@MethodSource("rowFailures")
	void failsTheRowWithoutRetryWhenTheRequestIsRejectedForItself(int status, String body, String code)
			throws Exception {
		try (ScriptedServer server = new ScriptedServer(Reply.of(status, body))) {
			ChatOutcome outcome = send(server);

			assertThat(outcome).isInstanceOf(ChatOutcome.Failed.class);
			ChatException error = ((ChatOutcome.Failed) outcome).error();
			assertThat(error).isExactlyInstanceOf(NonRetriableChatException.class);
			assertThat(error.status()).isEqualTo(status);
			assertThat(error.reason()).isEqualTo(code);
			assertThat(error.describe()).startsWith("HTTP " + status + " " + code + ": ");
			assertThat(server.requests()).isEqualTo(1);
		}
	}

	static Stream<Arguments> fatalFailures() {
		return Stream.of(Arguments.of(401, ACEDATA_ERROR.formatted("invalid_token", "token invalid"), "ACEDATA_API_TOKEN"),
				Arguments.of(403, ACEDATA_ERROR.formatted("forbidden", "insufficient balance"), "balance"),
				Arguments.of(429, "{\"error\":{\"message\":\"You exceeded your current quota, please check your plan "
						+ "and billing details.\",\"type\":\"insufficient_quota\",\"code\":\"insufficient_quota\"}}",
						"quota"));
	}

	@ParameterizedTest(name = "{0} stops the run")
	@MethodSource("fatalFailures")
	void stopsOnFailuresThatDoomEveryRow(int status, String body, String messagePart) throws Exception {
		try (ScriptedServer server = new ScriptedServer(Reply.of(status, body))) {
			ChatOutcome outcome = send(server);

			assertThat(outcome).isInstanceOf(ChatOutcome.Failed.class);
			ChatException error = ((ChatOutcome.Failed) outcome).error();
			assertThat(error).isInstanceOf(FatalChatException.class);
			assertThat(error.getMessage()).contains(messagePart).doesNotContain("sk-test-secret");
			assertThat(server.requests()).isEqualTo(1);
		}
	}

	@Test
	void parsesAnswerReasoningFinishReasonAndUsageAndSendsTheKey() throws Exception {
		try (ScriptedServer server = new ScriptedServer(Reply.ok())) {
			ChatOutcome outcome = send(server);

			ChatResponse r = ((ChatOutcome.Answered) outcome).response();
			assertThat(r.content()).isEqualTo("Hello there");
			assertThat(r.reasoning()).isEqualTo("thinking");
			assertThat(r.finishReason()).isEqualTo("stop");
			assertThat(r.usage()).isEqualTo(new Usage(12, 3, 15, 4));
			assertThat(server.authorizations).containsExactly("Bearer sk-test-secret");
		}
	}

	@Test
	void leavesNoHttpThreadBehindOnceClosed() throws Exception {
		// a thread left waiting in native code makes the JVM pause for it at exit (300 ms on Java 17)
		try (ScriptedServer server = new ScriptedServer(Reply.ok())) {
			java.util.Set<Thread> before = Thread.getAllStackTraces().keySet();
			ChatClient client = client(server);
			assertThat(client.send(REQUEST).join()).isInstanceOf(ChatOutcome.Answered.class);
			List<Thread> selectors = Thread.getAllStackTraces()
				.keySet()
				.stream()
				.filter(t -> t.getName().endsWith("-SelectorManager") && !before.contains(t))
				.toList();
			assertThat(selectors).isNotEmpty();

			client.close();

			for (Thread t : selectors) {
				t.join(5_000);
			}
			assertThat(selectors).noneMatch(Thread::isAlive);
		}
	}

	@Test
	void aRowsLatencyDoesNotCountItsWaitForAnAdaptiveSlot() throws Exception {
		// given: an adaptive limit of one attempt at a time, its slot held by another row
		io.promptbatch.core.limit.ConcurrencyLimit limit = io.promptbatch.core.limit.ConcurrencyLimit.adaptive(1);

		// when: the row waits 500 ms (on its clock) for the slot
		SlotWait waited = sendAfterWaitingForTheSlot(limit, 500_000_000L);

		// then: that wait is not its latency; the 7 ms between its attempt going out and its answer is
		assertThat(waited.outcome()).isInstanceOf(ChatOutcome.Answered.class);
		assertThat(waited.outcome().latencyMillis()).isEqualTo(7);
		assertThat(waited.requests()).isEqualTo(1);
	}

	@Test
	void aRowsLatencyOnAnInjectedClockStartsWhenItsFirstAttemptGoesOut() throws Exception {
		// given: a fixed limit of one, its slot held by another row
		io.promptbatch.core.limit.ConcurrencyLimit limit = io.promptbatch.core.limit.ConcurrencyLimit.fixed(1);

		// when: the row waits 5 s (on its clock) for the slot
		SlotWait waited = sendAfterWaitingForTheSlot(limit, 5_000_000_000L);

		// then: its latency is the 7 ms between its attempt going out and its answer, not the 5 s wait
		assertThat(waited.outcome()).isInstanceOf(ChatOutcome.Answered.class);
		assertThat(waited.outcome().latencyMillis()).isEqualTo(7);
	}

	private record SlotWait(ChatOutcome outcome, long requests) {
	}

	/**
	 * One request sent while another holds the limit's only slot, on a clock that stands still for {@code waitNanos}
	 * until the slot is freed and then moves 7 ms at each reading.
	 */
	private static SlotWait sendAfterWaitingForTheSlot(io.promptbatch.core.limit.ConcurrencyLimit limit, long waitNanos)
			throws Exception {
		java.util.concurrent.atomic.AtomicLong now = new java.util.concurrent.atomic.AtomicLong(1_000_000_000L);
		java.util.concurrent.atomic.AtomicBoolean ticking = new java.util.concurrent.atomic.AtomicBoolean();
		try (ScriptedServer server = new ScriptedServer(Reply.ok());
				ChatClient client = ChatClient.builder()
					.baseUrl(server.baseUrl())
					.attemptLimit(limit)
					.clock(() -> ticking.get() ? now.addAndGet(7_000_000) : now.get())
					.build()) {
			limit.acquire();
			var outcome = client.send(REQUEST);
			now.addAndGet(waitNanos);
			ticking.set(true);
			limit.release();
			return new SlotWait(outcome.join(), server.requests());
		}
	}

	@Test
	void givesUpAfterMaxRetriesAndCountsEveryAttempt() throws Exception {
		try (ScriptedServer server = new ScriptedServer(Reply.of(500, ACEDATA_ERROR.formatted("api_error", "down")))) {
			ChatOutcome outcome = send(server);

			assertThat(outcome).isInstanceOf(ChatOutcome.Failed.class);
			assertThat(((ChatOutcome.Failed) outcome).error()).isInstanceOf(RetriableChatException.class);
			assertThat(((ChatOutcome.Failed) outcome).error().requestId()).isEqualTo("trace-123");
			assertThat(outcome.attempts()).isEqualTo(4);
			assertThat(server.requests()).isEqualTo(4);
		}
	}

	@Test
	void stopsRetryingARowAfterItsTimeCap() throws Exception {
		try (ScriptedServer server = new ScriptedServer(Reply.of(500, ACEDATA_ERROR.formatted("api_error", "down")));
				ChatClient client = ChatClient.builder()
					.baseUrl(server.baseUrl())
					.maxRetries(1000)
					.backoff(Duration.ofMillis(40), Duration.ofMillis(40))
					.maxRowTime(Duration.ofMillis(400))
					.build()) {
			ChatOutcome outcome = client.send(REQUEST).join();

			assertThat(outcome).isInstanceOf(ChatOutcome.Failed.class);
			assertThat(outcome.latencyMillis()).isBetween(300L, 1500L);
			assertThat(outcome.attempts()).isLessThan(30);
		}
	}

	@Test
	void honoursRetryAfter() throws Exception {
		try (ScriptedServer server = new ScriptedServer(
				new Reply(429, ACEDATA_ERROR.formatted("too_many_requests", "wait"), Map.of("Retry-After", "1")),
				Reply.ok())) {
			long start = System.nanoTime();
			ChatOutcome outcome = send(server);
			long millis = (System.nanoTime() - start) / 1_000_000;

			assertThat(outcome).isInstanceOf(ChatOutcome.Answered.class);
			assertThat(millis).isGreaterThanOrEqualTo(1000);
		}
	}

	@Test
	void retriesAnAnswerThatNeverComesAfterTheTimeout() throws Exception {
		try (ScriptedServer server = new ScriptedServer(Reply.hang(), Reply.ok())) {
			ChatOutcome outcome = send(server);

			assertThat(outcome).isInstanceOf(ChatOutcome.Answered.class);
			assertThat(outcome.attempts()).isEqualTo(2);
		}
	}

	@Test
	void retriesAResponseCutMidBody() throws Exception {
		try (ScriptedServer server = new ScriptedServer(Reply.cut(), Reply.ok())) {
			ChatOutcome outcome = send(server);

			assertThat(outcome).isInstanceOf(ChatOutcome.Answered.class);
			assertThat(outcome.attempts()).isEqualTo(2);
		}
	}

	@Test
	void stopsWhenNoServerAcceptsConnections() throws Exception {
		int port;
		try (ServerSocket socket = new ServerSocket(0)) {
			port = socket.getLocalPort();
		}
		try (ChatClient client = ChatClient.builder()
			.baseUrl("http://127.0.0.1:" + port + "/v1")
			.maxRetries(2)
			.backoff(Duration.ofMillis(5), Duration.ofMillis(10))
			.build()) {
			ChatOutcome outcome = client.send(REQUEST).join();

			assertThat(outcome).isInstanceOf(ChatOutcome.Failed.class);
			ChatException error = ((ChatOutcome.Failed) outcome).error();
			assertThat(error).isInstanceOf(FatalChatException.class);
			assertThat(error.code()).isEqualTo("connection_refused");
			assertThat(error.getMessage()).contains("127.0.0.1:" + port).contains("--base-url");
			assertThat(outcome.attempts()).isEqualTo(3);
		}
	}
}
