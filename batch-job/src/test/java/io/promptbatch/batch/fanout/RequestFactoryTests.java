package io.promptbatch.batch.fanout;

import static org.assertj.core.api.Assertions.assertThat;

import io.promptbatch.core.chat.ChatRequest;
import io.promptbatch.core.chat.Message;
import io.promptbatch.core.client.internal.WireFormat;
import io.promptbatch.core.prompt.Prompt;
import io.promptbatch.core.provider.MaxTokensField;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

class RequestFactoryTests {

	private static final List<Message> HI = List.of(new Message("user", "hi"));

	private static Prompt prompt(String model, Prompt.Settings settings) {
		return new Prompt(1, 2, "r1", HI, model, Map.of(), settings);
	}

	private static JsonNode body(ChatRequest request) {
		return WireFormat.JSON.readTree(WireFormat.requestBody(request));
	}

	@Test
	void sendsTheRunsAndARecordsOwnCapInTheFieldTheirModelHonours() {
		// given: a self-hosted base URL, a run cap of 100, one record on K2.6 with a cap of its own
		RequestFactory requests = new RequestFactory("kimi-k2.5", false, 100, null, Map.of(), "http://127.0.0.1:8000/v1",
				null);

		// when
		JsonNode k25 = body(requests.requestFor(prompt("kimi-k2.5", Prompt.Settings.NONE)));
		JsonNode k26 = body(requests.requestFor(prompt("kimi-k2.6", new Prompt.Settings(null, 40, Map.of(), false))));

		// then
		assertThat(k25.get("max_tokens").asInt()).isEqualTo(100);
		assertThat(k25.has("max_completion_tokens")).isFalse();
		assertThat(k26.get("max_completion_tokens").asInt()).isEqualTo(40);
		assertThat(k26.has("max_tokens")).isFalse();
	}

	@Test
	void theFieldTheRunNamesWinsOverTheTable() {
		RequestFactory requests = new RequestFactory("kimi-k2.6", false, 100, null, Map.of(),
				"https://api.moonshot.ai/v1", MaxTokensField.MAX_TOKENS);

		JsonNode body = body(requests.requestFor(prompt("kimi-k2.6", Prompt.Settings.NONE)));

		assertThat(body.get("max_tokens").asInt()).isEqualTo(100);
		assertThat(body.has("max_completion_tokens")).isFalse();
	}

	@Test
	void aBatchBodysMaxCompletionTokensIsItsCapSentInTheHonouredField() {
		// given: an OpenAI Batch line whose body caps at 30 with max_completion_tokens, against a server that reads
		// max_tokens
		Prompt line = prompt("kimi-k2.5", new Prompt.Settings(null, null,
				Map.of("max_completion_tokens", WireFormat.JSON.getNodeFactory().numberNode(30)), true));
		RequestFactory requests = new RequestFactory("kimi-k2.5", false, null, null, Map.of(),
				"http://127.0.0.1:8000/v1", null);

		// when
		ChatRequest request = requests.requestFor(line);

		// then: one cap, in the field the server honours; the run's --max-tokens overrides a body's
		assertThat(request.maxTokens()).isEqualTo(30);
		assertThat(body(request).get("max_tokens").asInt()).isEqualTo(30);
		assertThat(body(request).has("max_completion_tokens")).isFalse();
		assertThat(new RequestFactory("kimi-k2.5", false, 12, null, Map.of(), "http://127.0.0.1:8000/v1", null)
			.requestFor(line)
			.maxTokens()).isEqualTo(12);
	}

	@Test
	void namesTheFieldTheServerIgnoredAndTheOneToPass() {
		String message = RowFinisher.capIgnoredMessage("q17", 2400, 256, MaxTokensField.MAX_TOKENS);

		assertThat(message).startsWith("row q17: the server answered 2,400 completion tokens for a cap of 256 sent as "
				+ "max_tokens: it ignores that field; pass --max-tokens-field max_completion_tokens, then run the same "
				+ "command again");
	}
}
