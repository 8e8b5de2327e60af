package io.promptbatch.core.client.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.promptbatch.core.chat.ChatRequest;
import io.promptbatch.core.chat.Message;
import io.promptbatch.core.client.ChatException;
import io.promptbatch.core.client.ChatResponse;
import io.promptbatch.core.client.NonRetriableChatException;
import io.promptbatch.core.client.RetriableChatException;
import io.promptbatch.core.client.ScriptedServer.Reply;
import io.promptbatch.core.client.ScriptedServer;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class HttpTransportIntegrationTests {

	private static final byte[] BODY = WireFormat
		.requestBody(new ChatRequest("kimi-k2.5", List.of(Message.user("Hi")), null, null));

	private final ExecutorService executor = Executors.newFixedThreadPool(2);

	private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();

	@AfterEach
	void stop() {
		executor.shutdownNow();
		timer.shutdownNow();
	}

	private HttpTransport transport(ScriptedServer server) {
		return new HttpTransport(URI.create(server.baseUrl() + "/chat/completions"), "sk-test", Duration.ofMillis(500),
				Duration.ofMillis(300), new ErrorMapper("the key in PROMPTBATCH_API_KEY"), executor, timer);
	}

	private static Throwable failureOf(CompletableFuture<?> future) {
		return ChatException.unwrap(future.handle((r, e) -> e).join());
	}

	@Test
	void makesOnePlainAttemptAndParsesTheAnswer() throws Exception {
		try (ScriptedServer server = new ScriptedServer(Reply.ok()); HttpTransport transport = transport(server)) {
			ChatResponse answer = transport.attempt(BODY, false).join();

			assertThat(answer.content()).isEqualTo("Hello there");
			assertThat(server.requests()).isEqualTo(1);
			assertThat(server.authorizations).containsExactly("Bearer sk-test");
		}
	}

	@Test
	void neverRetriesAFailedAttemptButMapsIt() throws Exception {
		// given: a server that fails once with a 503, then would answer
		try (ScriptedServer server = new ScriptedServer(Reply.of(503, "{\"error\":{\"message\":\"busy\"}}"), Reply.ok());
				HttpTransport transport = transport(server)) {
			// when
			Throwable failure = failureOf(transport.attempt(BODY, false));

			// then: the mapped failure, and the server saw one request
			assertThat(failure).isInstanceOf(RetriableChatException.class);
			assertThat(((ChatException) failure).status()).isEqualTo(503);
			assertThat(server.requests()).isEqualTo(1);
		}
	}

	@Test
	void endsAnAttemptThatGetsNoAnswerWithinTheTimeout() throws Exception {
		try (ScriptedServer server = new ScriptedServer(Reply.hang()); HttpTransport transport = transport(server)) {
			Throwable failure = failureOf(transport.attempt(BODY, false));

			assertThat(failure).isInstanceOf(RetriableChatException.class);
			assertThat(((ChatException) failure).code()).isEqualTo("timeout");
		}
	}

	@Test
	void makesOneStreamedAttemptAndEndsAStreamThatFallsSilent() throws Exception {
		String stream = "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"},"
				+ "\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n";
		try (ScriptedServer server = new ScriptedServer(Reply.sse(stream),
				Reply.stall("data: {\"id\":\"c2\",\"choices\":[]}\n\n")); HttpTransport transport = transport(server)) {
			assertThat(transport.attempt(BODY, true).join().content()).isEqualTo("Hi");

			Throwable silent = failureOf(transport.attempt(BODY, true));

			assertThat(silent).isInstanceOf(RetriableChatException.class);
			assertThat(((ChatException) silent).code()).isEqualTo("stream_idle");
		}
	}

	@Test
	void postsAndGivesTheBodyOrTheMappedFailure() throws Exception {
		try (ScriptedServer server = new ScriptedServer(Reply.of(200, "{\"data\":{\"total_tokens\":9}}"),
				Reply.of(404, "{\"error\":{\"message\":\"no such route\"}}")); HttpTransport transport = transport(server)) {
			URI count = URI.create(server.baseUrl() + "/tokenizers/estimate-token-count");

			assertThat(TokenCounter.total(transport.post(count, BODY).join())).isEqualTo(9);
			assertThatThrownBy(() -> transport.post(count, BODY).join()).cause()
				.isInstanceOf(NonRetriableChatException.class);
		}
	}
}
