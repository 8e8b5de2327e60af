package io.promptbatch.batch.output;

import static org.assertj.core.api.Assertions.assertThat;

import io.promptbatch.batch.fanout.AnswerRow;
import io.promptbatch.core.chat.Message;
import io.promptbatch.core.chat.Usage;
import io.promptbatch.core.client.ChatResponse;
import io.promptbatch.core.client.NonRetriableChatException;
import io.promptbatch.core.client.RetriableChatException;
import io.promptbatch.core.client.ServerError;
import io.promptbatch.core.prompt.Prompt;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class OpenAiBatchLinesTests {

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private static final Prompt PROMPT = new Prompt(7, 7, "task-7", List.of(Message.user("Hi")), null, Map.of());

	@Test
	void anAnswerIsTheProvidersBodyUnchangedOnOneLine() {
		// given: a body on one line whose numbers are written their own way, and the same body over several lines
		String oneLine = "{\"id\":\"c1\",\"object\":\"chat.completion\",\"system_fingerprint\":\"fp_1\",\"choices\":[{"
				+ "\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_1\","
				+ "\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]},\"logprobs\":{\"content\":[{"
				+ "\"token\":\"a\",\"logprob\":-1.50e-3}]},\"finish_reason\":\"tool_calls\"},{\"index\":1,\"message\":{"
				+ "\"role\":\"assistant\",\"content\":\"b\"},\"finish_reason\":\"stop\"}],\"x_vendor\":[1.0],"
				+ "\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2,\"total_tokens\":3}}";
		String severalLines = oneLine.replace(",\"", ",\n  \"");
		ChatResponse answer = new ChatResponse("c1", "m", "", null, "tool_calls", new Usage(1, 2, 3, 0), oneLine);
		ChatResponse pretty = new ChatResponse("c1", "m", "", null, "tool_calls", new Usage(1, 2, 3, 0), severalLines);

		// when
		String line = OpenAiBatchLines.line(new AnswerRow(PROMPT, "m", answer, null, 12, 1, null));
		String prettyLine = OpenAiBatchLines.line(new AnswerRow(PROMPT, "m", pretty, null, 12, 1, null));

		// then: the one-line body is in the output character for character; the other is on one line, every field
		// as it came
		assertThat(line).contains("\"body\":" + oneLine + "}");
		assertThat(prettyLine).doesNotContain("\n");
		assertThat(JSON.readTree(prettyLine).at("/response/body")).isEqualTo(JSON.readTree(severalLines));
		assertThat(JSON.readTree(prettyLine).at("/response/request_id").asString()).isEqualTo("c1");
	}

	@Test
	void aRequestTheServerRefusedIsAResponseWithItsStatusAndErrorBody() {
		AnswerRow row = new AnswerRow(PROMPT, "m", null, null, 12, 1,
				new NonRetriableChatException(400, "invalid_request", "max_tokens is too large", "trace-1", null));

		JsonNode line = JSON.readTree(OpenAiBatchLines.line(row));

		assertThat(line.get("custom_id").asString()).isEqualTo("task-7");
		assertThat(line.at("/response/status_code").asInt()).isEqualTo(400);
		assertThat(line.at("/response/request_id").asString()).isEqualTo("trace-1");
		assertThat(line.at("/response/body/error/message").asString()).isEqualTo("max_tokens is too large");
		assertThat(line.at("/response/body/error/code").asString()).isEqualTo("invalid_request");
		assertThat(line.at("/response/body/error/type").isNull()).isTrue();
		assertThat(line.get("error").isNull()).isTrue();
	}

	@Test
	void aRequestTheServerRefusedCarriesTheServersErrorBodyAsReceived() {
		// given: llama.cpp's error, whose code is a number and which adds fields of its own
		String body = "{\"error\":{\"code\":400,\"message\":\"request (6028 tokens) exceeds the available context "
				+ "size (4096 tokens), try increasing it\",\"type\":\"exceed_context_size_error\",\"n_prompt_tokens\":6028,"
				+ "\"n_ctx\":4096}}";
		AnswerRow row = new AnswerRow(PROMPT, "m", null, null, 12, 1, new NonRetriableChatException(
				new ServerError("exceed_context_size_error", body), 400, "400", "request (6028 tokens) exceeds ...",
				"req-1"));

		// when
		JsonNode line = JSON.readTree(OpenAiBatchLines.line(row));

		// then
		assertThat(line.at("/response/status_code").asInt()).isEqualTo(400);
		assertThat(line.at("/response/request_id").asString()).isEqualTo("req-1");
		assertThat(line.at("/response/body")).isEqualTo(JSON.readTree(body));
		assertThat(line.at("/response/body/error/code").isNumber()).isTrue();
	}

	@Test
	void anErrorWithoutAJsonBodyKeepsTypeAndCodeApart() {
		AnswerRow row = new AnswerRow(PROMPT, "m", null, null, 12, 1,
				new NonRetriableChatException(new ServerError("invalid_request_error", null), 400, null, "bad", null));

		JsonNode line = JSON.readTree(OpenAiBatchLines.line(row));

		assertThat(line.at("/response/body/error/type").asString()).isEqualTo("invalid_request_error");
		assertThat(line.at("/response/body/error/code").isNull()).isTrue();
		assertThat(line.at("/response/body/error/message").asString()).isEqualTo("bad");
	}

	@Test
	void aFailureWithoutAnHttpResponseIsAnErrorWithANullResponse() {
		AnswerRow row = new AnswerRow(PROMPT, "m", null, null, 120_000, 7,
				new RetriableChatException(0, "timeout", "no answer within 120 s", null, null, null));

		JsonNode line = JSON.readTree(OpenAiBatchLines.line(row));

		assertThat(line.get("response").isNull()).isTrue();
		assertThat(line.at("/error/code").asString()).isEqualTo("timeout");
		assertThat(line.at("/error/message").asString()).isEqualTo("no answer within 120 s");
	}
}
