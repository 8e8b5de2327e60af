package io.promptbatch.core.provider;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.promptbatch.core.chat.ChatRequest;
import io.promptbatch.core.chat.Message;
import io.promptbatch.core.client.internal.WireFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import tools.jackson.databind.JsonNode;

class MaxTokensFieldTests {

	@ParameterizedTest(name = "{0} {1} -> {2}")
	@CsvSource({
			// Kimi K2.6 reads only max_completion_tokens, wherever it is served
			"https://api.acedata.cloud/kimi, kimi-k2.6, max_completion_tokens",
			"http://127.0.0.1:8000/v1, kimi-k2.6, max_completion_tokens",
			"http://127.0.0.1:8000/v1, moonshotai/Kimi-K2.6, max_completion_tokens",
			"https://api.moonshot.ai/v1, kimi-k2.6-thinking, max_completion_tokens",
			// Moonshot's platform deprecates max_tokens for every model
			"https://api.moonshot.ai/v1, kimi-k2-0905-preview, max_completion_tokens",
			"https://api.moonshot.cn/v1, kimi-k2.5, max_completion_tokens",
			// OpenAI: max_completion_tokens for every model; the reasoning families refuse max_tokens anywhere
			"https://api.openai.com/v1, gpt-4o-mini, max_completion_tokens",
			"https://api.openai.com/v1, o3-mini, max_completion_tokens",
			"http://localhost:4000/v1, o1, max_completion_tokens",
			"http://localhost:4000/v1, o4-mini, max_completion_tokens",
			"http://localhost:4000/v1, gpt-5-mini, max_completion_tokens",
			"http://localhost:4000/v1, openai/gpt-5.1, max_completion_tokens",
			// Ace Data Cloud's other Kimi models, self-hosted servers and the simulator: max_tokens
			"https://api.acedata.cloud/kimi, kimi-k2.5, max_tokens",
			"https://api.acedata.cloud/kimi, kimi-k2-thinking, max_tokens",
			"http://127.0.0.1:8000/v1, Qwen/Qwen3-8B, max_tokens",
			"http://127.0.0.1:8080/v1, gpt-4o-mini, max_tokens",
			"simulator://in-process, kimi-k2.5, max_tokens",
			// names that only look like a reasoning family
			"http://127.0.0.1:8000/v1, o1x-lora, max_tokens" })
	void sendsTheCapInTheFieldTheProviderAndModelFamilyHonour(String baseUrl, String model, String field) {
		assertThat(MaxTokensField.honouredBy(baseUrl, model).wireName()).isEqualTo(field);
	}

	@Test
	void readsTheFieldAsTheFlagNamesIt() {
		assertThat(MaxTokensField.of("max_completion_tokens")).isEqualTo(MaxTokensField.MAX_COMPLETION_TOKENS);
		assertThat(MaxTokensField.of(" MAX-TOKENS ")).isEqualTo(MaxTokensField.MAX_TOKENS);
		assertThat(MaxTokensField.MAX_TOKENS.other()).isEqualTo(MaxTokensField.MAX_COMPLETION_TOKENS);
		assertThatThrownBy(() -> MaxTokensField.of("max_output_tokens")).isInstanceOf(IllegalArgumentException.class)
			.hasMessage("unknown cap field 'max_output_tokens'; choose one of [max_tokens, max_completion_tokens]");
	}

	@Test
	void theBodyCarriesTheCapInExactlyOneField() {
		// given
		List<Message> messages = List.of(new Message("user", "hi"));
		ChatRequest completion = new ChatRequest("kimi-k2.6", messages, 256, null, Map.of(),
				MaxTokensField.MAX_COMPLETION_TOKENS);
		ChatRequest plain = new ChatRequest("kimi-k2.5", messages, 256, null);

		// when
		JsonNode completionBody = WireFormat.JSON.readTree(WireFormat.requestBody(completion));
		JsonNode plainBody = WireFormat.JSON.readTree(WireFormat.streamingRequestBody(WireFormat.requestBody(plain)));

		// then
		assertThat(completionBody.get("max_completion_tokens").asInt()).isEqualTo(256);
		assertThat(completionBody.has("max_tokens")).isFalse();
		assertThat(plainBody.get("max_tokens").asInt()).isEqualTo(256);
		assertThat(plainBody.has("max_completion_tokens")).isFalse();
	}

	@Test
	void refusesTheCapAsAnExtraBodyField() {
		assertThatThrownBy(() -> new ChatRequest("m", List.of(new Message("user", "hi")), null, null,
				Map.of("max_completion_tokens", WireFormat.JSON.getNodeFactory().numberNode(5))))
			.isInstanceOf(IllegalArgumentException.class)
			.hasMessageContaining("is the completion token cap");
	}

	@Test
	void knowsTheProvidersByTheirHosts() {
		assertThat(Provider.atBaseUrl("https://api.openai.com/v1/")).contains(Provider.OPENAI);
		assertThat(Provider.atBaseUrl("https://API.MOONSHOT.CN/v1")).contains(Provider.MOONSHOT);
		assertThat(Provider.atBaseUrl("https://api.acedata.cloud/kimi")).contains(Provider.ACEDATA_KIMI);
		assertThat(Provider.atBaseUrl("http://127.0.0.1:8000/v1")).isEmpty();
		assertThat(Provider.atBaseUrl("not a url")).isEmpty();
	}
}
