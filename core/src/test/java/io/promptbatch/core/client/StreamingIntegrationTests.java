package io.promptbatch.core.client;

import io.promptbatch.core.chat.ChatRequest;
import io.promptbatch.core.chat.Usage;
import static org.assertj.core.api.Assertions.assertThat;

import io.promptbatch.core.chat.Message;
import io.promptbatch.core.client.ScriptedServer.Reply;
import io.promptbatch.simulator.ChatSimulator;
import io.promptbatch.simulator.SimulatorConfig;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class StreamingIntegrationTests {

	private static final ChatRequest REQUEST = new ChatRequest("kimi-k2-thinking", List.of(Message.user("Stream it")),
			null, null);

	private static final String COMPLETE = ": keep-alive\r\n\r\n"
			+ "data: {\"id\":\"c1\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":\"Let me \"}}]}\r\n\r\n"
			+ "data: {\"id\":\"c1\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":\"think.\"}}]}\r\n\r\n"
			+ "data: {\"id\":\"c1\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"你好，\"}}]}\n\n"
			+ "event: message\n"
			+ "data: {\"id\":\"c1\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"world\"},"
			+ "\"finish_reason\":\"stop\"}]}\n\n"
			+ "data: {\"id\":\"c1\",\"model\":\"m\",\"choices\":[],\"usage\":{\"prompt_tokens\":7,"
			+ "\"completion_tokens\":5,\"total_tokens\":12}}\n\n"
			+ "data: [DONE]\n\n";

	private static ChatClient streamingClient(String baseUrl) {
		return ChatClient.builder()
			.baseUrl(baseUrl)
			.stream(true)
			.timeout(Duration.ofSeconds(2))
			.idleTimeout(Duration.ofMillis(400))
			.maxRetries(2)
			.backoff(Duration.ofMillis(5), Duration.ofMillis(20))
			.build();
	}

	@Test
	void joinsDeltasAndTakesUsageFromTheFinalEmptyChoicesChunk() throws Exception {
		try (ScriptedServer server = new ScriptedServer(Reply.sse(COMPLETE)); ChatClient client = streamingClient(server.baseUrl())) {
			ChatOutcome outcome = client.send(REQUEST).join();

			ChatResponse r = ((ChatOutcome.Answered) outcome).response();
			assertThat(r.content()).isEqualTo("你好，world");
			assertThat(r.reasoning()).isEqualTo("Let me think.");
			assertThat(r.finishReason()).isEqualTo("stop");
			assertThat(r.usage()).isEqualTo(new Usage(7, 5, 12, 0));
			assertThat(r.id()).isEqualTo("c1");
		}
	}

	@Test
	void retriesAStreamCutBeforeDone() throws Exception {
		String cut = COMPLETE.substring(0, COMPLETE.indexOf("data: {\"id\":\"c1\",\"model\":\"m\",\"choices\":[]"));
		try (ScriptedServer server = new ScriptedServer(Reply.sse(cut), Reply.sse(COMPLETE));
				ChatClient client = streamingClient(server.baseUrl())) {
			ChatOutcome outcome = client.send(REQUEST).join();

			assertThat(outcome).isInstanceOf(ChatOutcome.Answered.class);
			assertThat(outcome.attempts()).isEqualTo(2);
			assertThat(((ChatOutcome.Answered) outcome).response().usage().totalTokens()).isEqualTo(12);
		}
	}

	@Test
	void retriesAStreamThatFallsSilentLongerThanTheIdleTimeout() throws Exception {
		String start = COMPLETE.substring(0, COMPLETE.indexOf("data: {\"id\":\"c1\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\""));
		try (ScriptedServer server = new ScriptedServer(Reply.stall(start), Reply.sse(COMPLETE));
				ChatClient client = streamingClient(server.baseUrl())) {
			long t0 = System.nanoTime();
			ChatOutcome outcome = client.send(REQUEST).join();

			assertThat(outcome).isInstanceOf(ChatOutcome.Answered.class);
			assertThat(outcome.attempts()).isEqualTo(2);
			assertThat((System.nanoTime() - t0) / 1_000_000).isGreaterThanOrEqualTo(400);
		}
	}

	@Test
	void mapsAnErrorStatusOfAStreamedRequestLikeAnyOther() throws Exception {
		try (ScriptedServer server = new ScriptedServer(Reply.of(400, "{\"error\":{\"message\":\"bad\",\"type\":\"invalid_request_error\"}}"));
				ChatClient client = streamingClient(server.baseUrl())) {
			ChatOutcome outcome = client.send(REQUEST).join();

			assertThat(((ChatOutcome.Failed) outcome).error()).isExactlyInstanceOf(NonRetriableChatException.class);
			assertThat(server.requests()).isEqualTo(1);
		}
	}

	@Test
	void streamedAndPlainAnswersFromTheSimulatorAreIdentical() throws Exception {
		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder().build());
				ChatClient plain = ChatClient.builder().baseUrl(sim.baseUrl()).build();
				ChatClient streaming = streamingClient(sim.baseUrl())) {
			for (String prompt : List.of("Short one", "A longer prompt, with commas and 中文 characters, to stream")) {
				ChatRequest request = new ChatRequest("kimi-k2-thinking", List.of(Message.user(prompt)), null, null);
				ChatResponse a = ((ChatOutcome.Answered) plain.send(request).join()).response();
				ChatResponse b = ((ChatOutcome.Answered) streaming.send(request).join()).response();

				assertThat(b.content()).isEqualTo(a.content());
				assertThat(b.reasoning()).isEqualTo(a.reasoning());
				assertThat(b.finishReason()).isEqualTo(a.finishReason());
				assertThat(b.usage()).isEqualTo(a.usage());
			}
		}
	}

	/** Two content chunks, then the given error event, and the stream ends without [DONE]. */
	private static String errorMidStream(String errorEvent) {
		return "data: {\"id\":\"c1\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Half \"}}]}\n\n"
				+ "data: {\"id\":\"c1\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"an\"}}]}\n\n"
				+ "data: " + errorEvent + "\n\n";
	}

	static Stream<Arguments> retriedErrorEvents() {
		return Stream.of(Arguments.of("{\"error\":{\"code\":500,\"type\":\"server_error\",\"message\":\"slot crashed\"}}"),
				Arguments.of("{\"error\":{\"code\":500,\"message\":\"numeric 500, no telling words\"}}"),
				Arguments.of("{\"error\":{\"code\":\"429\",\"message\":\"wait\"}}"),
				Arguments.of("{\"error\":{\"type\":\"rate_limit_reached_error\",\"message\":\"slow down\"}}"),
				Arguments.of("{\"error\":{\"type\":\"engine_overloaded_error\",\"message\":\"busy\"}}"),
				Arguments.of("{\"error\":{\"type\":\"server_error\",\"message\":\"no status at all\"}}"));
	}

	@ParameterizedTest(name = "{0} is retried")
	@MethodSource("retriedErrorEvents")
	void retriesAnErrorEventThatAnHttpStatusWouldRetry(String errorEvent) throws Exception {
		// given
		try (ScriptedServer server = new ScriptedServer(Reply.sse(errorMidStream(errorEvent)), Reply.sse(COMPLETE));
				ChatClient client = streamingClient(server.baseUrl())) {
			// when
			ChatOutcome outcome = client.send(REQUEST).join();

			// then
			assertThat(outcome).isInstanceOf(ChatOutcome.Answered.class);
			assertThat(((ChatOutcome.Answered) outcome).response().content()).isEqualTo("你好，world");
			assertThat(outcome.attempts()).isEqualTo(2);
			assertThat(server.requests()).isEqualTo(2);
		}
	}

	static Stream<Arguments> permanentErrorEvents() {
		// the words the old classification looked for ("rate" in "generate" and "accurate", "server") in
		// the message of events whose status says the request itself was wrong
		return Stream.of(
				Arguments.of("{\"error\":{\"code\":400,\"type\":\"invalid_request_error\",\"message\":\"cannot generate "
						+ "an accurate answer\"}}", 400, "invalid_request_error"),
				Arguments.of("{\"error\":{\"code\":400,\"message\":\"the server is overloaded with your rate\"}}", 400,
						"400"),
				Arguments.of("{\"error\":{\"type\":\"invalid_request_error\",\"message\":\"will not generate\"}}", 400,
						"invalid_request_error"),
				Arguments.of("{\"error\":{\"code\":\"content_filter\",\"message\":\"rejected by the server's filter\"}}",
						400, "content_filter"));
	}

	@ParameterizedTest(name = "{0} fails the row")
	@MethodSource("permanentErrorEvents")
	void failsTheRowOnAnErrorEventThatAnHttpStatusWouldNotRetry(String errorEvent, int status, String reason)
			throws Exception {
		// given
		try (ScriptedServer server = new ScriptedServer(Reply.sse(errorMidStream(errorEvent)), Reply.sse(COMPLETE));
				ChatClient client = streamingClient(server.baseUrl())) {
			// when
			ChatOutcome outcome = client.send(REQUEST).join();

			// then
			ChatException error = ((ChatOutcome.Failed) outcome).error();
			assertThat(error).isExactlyInstanceOf(NonRetriableChatException.class);
			assertThat(error.status()).isEqualTo(status);
			assertThat(error.reason()).isEqualTo(reason);
			assertThat(error.server().body()).isEqualTo(errorEvent);
			assertThat(server.requests()).isEqualTo(1);
		}
	}

	@Test
	void anErrorEventThatNamesARejectedKeyStopsTheRun() throws Exception {
		String event = "{\"error\":{\"code\":401,\"type\":\"authentication_error\",\"message\":\"bad key\"}}";
		try (ScriptedServer server = new ScriptedServer(Reply.sse(errorMidStream(event)));
				ChatClient client = streamingClient(server.baseUrl())) {
			ChatOutcome outcome = client.send(REQUEST).join();

			assertThat(((ChatOutcome.Failed) outcome).error()).isExactlyInstanceOf(FatalChatException.class);
			assertThat(server.requests()).isEqualTo(1);
		}
	}
}
