package io.promptbatch.core.client;

import io.promptbatch.core.chat.ChatRequest;
import static org.assertj.core.api.Assertions.assertThat;

import io.promptbatch.core.chat.Message;
import io.promptbatch.core.client.ScriptedServer.Reply;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** What a row keeps of an error: the server's status, type, code, message and request id, each apart. */
class ServerErrorsIntegrationTests {

	private static final ChatRequest REQUEST = new ChatRequest("kimi-k2.5", List.of(Message.user("Hi")), 100, null);

	private static final String LLAMA_CPP_CONTEXT = "{\"error\":{\"code\":400,\"message\":\"request (6028 tokens) "
			+ "exceeds the available context size (4096 tokens), try increasing it\",\"type\":\"exceed_context_size_error\","
			+ "\"n_prompt_tokens\":6028,\"n_ctx\":4096}}";

	private static final String OPENAI_CONTEXT = "{\"error\":{\"message\":\"This model's maximum context length is "
			+ "8192 tokens.\",\"type\":\"invalid_request_error\",\"param\":\"messages\",\"code\":\"context_length_exceeded\"}}";

	/** Expected: the exception's class, type, code, request id and the row's error text. */
	record Expected(Class<? extends ChatException> kind, @Nullable String type, @Nullable String code,
			@Nullable String requestId, String describe) {
	}

	static Stream<Arguments> errors() {
		return Stream.of(
				Arguments.of("llama.cpp over-long prompt", 400, Map.of(), LLAMA_CPP_CONTEXT,
						new Expected(NonRetriableChatException.class, "exceed_context_size_error", "400", null,
								"HTTP 400 exceed_context_size_error: request (6028 tokens) exceeds the available "
										+ "context size (4096 tokens), try increasing it")),
				Arguments.of("llama.cpp loading", 503, Map.of(),
						"{\"error\":{\"code\":503,\"message\":\"Loading model\",\"type\":\"unavailable_error\"}}",
						new Expected(RetriableChatException.class, "unavailable_error", "503", null,
								"HTTP 503 unavailable_error: Loading model")),
				Arguments.of("OpenAI context length", 400, Map.of("x-request-id", "req_abc"), OPENAI_CONTEXT,
						new Expected(NonRetriableChatException.class, "invalid_request_error",
								"context_length_exceeded", "req_abc",
								"HTTP 400 context_length_exceeded: This model's maximum context length is 8192 tokens. "
										+ "(type invalid_request_error, request req_abc)")),
				Arguments.of("OpenAI quota", 429, Map.of("x-request-id", "req_q"),
						"{\"error\":{\"message\":\"You exceeded your current quota\",\"type\":\"insufficient_quota\","
								+ "\"param\":null,\"code\":\"insufficient_quota\"}}",
						new Expected(FatalChatException.class, "insufficient_quota", "insufficient_quota", "req_q",
								"HTTP 429 insufficient_quota: the account's quota or balance is exhausted (You exceeded "
										+ "your current quota); top it up or wait for the quota to reset, then run the "
										+ "same command again (request req_q)")),
				Arguments.of("Moonshot token limit", 400, Map.of(),
						"{\"error\":{\"message\":\"Invalid request: Your request exceeded model token limit: 8192\","
								+ "\"type\":\"invalid_request_error\"}}",
						new Expected(NonRetriableChatException.class, "invalid_request_error", null, null,
								"HTTP 400 invalid_request_error: Invalid request: Your request exceeded model token "
										+ "limit: 8192")),
				Arguments.of("Moonshot rate limit", 429, Map.of(),
						"{\"error\":{\"message\":\"Your account org-1 request reached max request: 3\","
								+ "\"type\":\"rate_limit_reached_error\"}}",
						new Expected(RetriableChatException.class, "rate_limit_reached_error", null, null,
								"HTTP 429 rate_limit_reached_error: Your account org-1 request reached max request: 3")),
				Arguments.of("Ace Data Cloud bad tokens", 400, Map.of("x-request-id", "ignored-header"),
						"{\"success\":false,\"error\":{\"code\":\"token_mismatched\",\"message\":\"bad tokens\"},"
								+ "\"trace_id\":\"trace-ace-1\"}",
						new Expected(NonRetriableChatException.class, null, "token_mismatched", "trace-ace-1",
								"HTTP 400 token_mismatched: bad tokens (request trace-ace-1)")),
				Arguments.of("Ace Data Cloud api error", 500, Map.of(),
						"{\"success\":false,\"error\":{\"code\":\"api_error\",\"message\":\"boom\"},\"trace_id\":\"t-2\"}",
						new Expected(RetriableChatException.class, null, "api_error", "t-2",
								"HTTP 500 api_error: boom (request t-2)")),
				Arguments.of("request_id in the body", 404, Map.of(),
						"{\"error\":{\"message\":\"model not found\",\"type\":\"invalid_request_error\","
								+ "\"code\":\"model_not_found\"},\"request_id\":\"r-9\"}",
						new Expected(NonRetriableChatException.class, "invalid_request_error", "model_not_found", "r-9",
								"HTTP 404 model_not_found: model not found (type invalid_request_error, request r-9)")));
	}

	@ParameterizedTest(name = "{0}")
	@MethodSource("errors")
	void keepsStatusTypeCodeMessageAndRequestIdApart(String name, int status, Map<String, String> headers,
			String body, Expected expected) throws Exception {
		// given
		try (ScriptedServer server = new ScriptedServer(new Reply(status, body, headers));
				ChatClient client = ChatClient.builder().baseUrl(server.baseUrl()).maxRetries(0).build()) {
			// when
			ChatOutcome outcome = client.send(REQUEST).join();

			// then
			ChatException error = ((ChatOutcome.Failed) outcome).error();
			assertThat(error).isExactlyInstanceOf(expected.kind());
			assertThat(error.status()).isEqualTo(status);
			assertThat(error.type()).isEqualTo(expected.type());
			assertThat(error.code()).isEqualTo(expected.code());
			assertThat(error.requestId()).isEqualTo(expected.requestId());
			assertThat(error.describe()).isEqualTo(expected.describe());
			assertThat(error.server()).isNotNull();
			assertThat(error.server().body()).isEqualTo(body);
		}
	}

	@ParameterizedTest(name = "{0}")
	@MethodSource("errors")
	void aStreamedRequestFailsWithTheSameError(String name, int status, Map<String, String> headers, String body,
			Expected expected) throws Exception {
		// given: the same error as the response to a streamed request
		try (ScriptedServer server = new ScriptedServer(new Reply(status, body, headers));
				ChatClient client = ChatClient.builder().baseUrl(server.baseUrl()).stream(true).maxRetries(0).build()) {
			// when
			ChatOutcome outcome = client.send(REQUEST).join();

			// then
			ChatException error = ((ChatOutcome.Failed) outcome).error();
			assertThat(error).isExactlyInstanceOf(expected.kind());
			assertThat(error.describe()).isEqualTo(expected.describe());
		}
	}

	@Test
	void aProxysNonJsonPageKeepsItsTextAndNoBody() throws Exception {
		try (ScriptedServer server = new ScriptedServer(Reply.of(502,
				"<html><body><h1>502 Bad Gateway</h1><hr>nginx</body></html>"));
				ChatClient client = ChatClient.builder().baseUrl(server.baseUrl()).maxRetries(0).build()) {
			ChatException error = ((ChatOutcome.Failed) client.send(REQUEST).join()).error();

			assertThat(error).isExactlyInstanceOf(RetriableChatException.class);
			assertThat(error.server().body()).isNull();
			assertThat(error.describe()).isEqualTo("HTTP 502: non-JSON response: 502 Bad Gateway nginx");
		}
	}
}
