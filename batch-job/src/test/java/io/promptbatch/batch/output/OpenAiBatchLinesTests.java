package io.promptbatch.batch.output;

import static org.assertj.core.api.Assertions.assertThat;

import io.promptbatch.batch.fanout.AnswerRow;
import io.promptbatch.core.client.NonRetriableChatException;
import io.promptbatch.core.client.RetriableChatException;
import io.promptbatch.core.prompt.Message;
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
	void aRequestTheServerRefusedIsAResponseWithItsStatusAndErrorBody() {
		AnswerRow row = new AnswerRow(PROMPT, "m", null, null, 12, 1,
				new NonRetriableChatException(400, "invalid_request", "max_tokens is too large", "trace-1", null));

		JsonNode line = JSON.readTree(OpenAiBatchLines.line(row));

		assertThat(line.get("custom_id").asString()).isEqualTo("task-7");
		assertThat(line.at("/response/status_code").asInt()).isEqualTo(400);
		assertThat(line.at("/response/request_id").asString()).isEqualTo("trace-1");
		assertThat(line.at("/response/body/error/message").asString()).isEqualTo("max_tokens is too large");
		assertThat(line.at("/response/body/error/code").asString()).isEqualTo("invalid_request");
		assertThat(line.get("error").isNull()).isTrue();
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
