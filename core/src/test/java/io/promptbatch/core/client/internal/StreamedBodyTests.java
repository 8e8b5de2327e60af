package io.promptbatch.core.client.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.core.JsonParser;

class StreamedBodyTests {

	/**
	 * Chunks of every shape the body keeps: the role first, text of several fields, a choice whose index does not
	 * come first, two choices, tool calls in fragments, log probabilities, a repeated and a changed top-level value,
	 * a null that must not overwrite, a finish reason, usage in a last chunk with empty choices.
	 */
	private static final List<String> CHUNKS = List.of(
			"{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,"
					+ "\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"logprobs\":null,\"finish_reason\":null}]}",
			"{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,"
					+ "\"delta\":{\"reasoning_content\":\"Think \\\"hard\\\"\"},\"logprobs\":null,\"finish_reason\":null}]}",
			"{\"id\":\"c1\",\"created\":1,\"model\":\"m\",\"system_fingerprint\":\"fp1\",\"choices\":[{\"index\":0,"
					+ "\"delta\":{\"content\":\"Hello, \\u4e16\\u754c\",\"role\":\"assistant\"},\"finish_reason\":null}]}",
			"{\"id\":\"c1\",\"created\":2,\"model\":\"m\",\"choices\":[{\"delta\":{\"content\":\" again\"},\"index\":1,"
					+ "\"finish_reason\":null}]}",
			"{\"id\":\"c1\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":null,\"tool_calls\":[{\"index\":0,"
					+ "\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"get\",\"arguments\":\"{\\\"a\\\"\"}}]},"
					+ "\"logprobs\":{\"content\":[{\"token\":\"x\",\"logprob\":-0.1}]}}]}",
			"{\"id\":\"c1\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,"
					+ "\"function\":{\"arguments\":\":1}\"}}]},\"logprobs\":{\"content\":[{\"token\":\"y\",\"logprob\":-0.2}]}}]}",
			"{\"id\":\"c1\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"},"
					+ "{\"index\":1,\"delta\":{},\"finish_reason\":\"stop\",\"extra\":[1,2]}]}",
			"{\"id\":\"c1\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":null}]}",
			"{\"id\":\"c1\",\"model\":\"m\",\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":7,"
					+ "\"total_tokens\":12}}");

	@Test
	void readingChunksTokenByTokenGivesTheBodyThatReadingThemAsTreesGives() {
		// given
		StreamedBody byTokens = new StreamedBody();
		StreamedBody byTrees = new StreamedBody();

		// when
		for (String chunk : CHUNKS) {
			assertThat(byTokens.add(parser(chunk))).isTrue();
			byTrees.add(WireFormat.JSON.readTree(chunk));
		}

		// then: the same body, field for field and in the same order
		assertThat(WireFormat.JSON.writeValueAsString(byTokens.body()))
			.isEqualTo(WireFormat.JSON.writeValueAsString(byTrees.body()));
		assertThat(byTokens.body().toString()).contains("\"content\":\"Hello, 世界\"", "\"content\":\" again\"",
				"\"reasoning_content\":\"Think \\\"hard\\\"\"", "\"arguments\":\"{\\\"a\\\":1}\"", "\"created\":2",
				"\"system_fingerprint\":\"fp1\"", "\"finish_reason\":\"tool_calls\"", "\"total_tokens\":12",
				"\"token\":\"y\"");
		assertThat(byTokens.firstChoiceText("content")).isEqualTo("Hello, 世界");
		assertThat(byTokens.firstChoiceFinishReason()).isEqualTo("tool_calls");
	}

	@Test
	void anErrorEventIsToldAndNotTakenForAChunk() {
		// given
		StreamedBody body = new StreamedBody();

		// when / then
		assertThat(body.add(parser("{\"error\":{\"code\":500,\"message\":\"slot crashed\"}}"))).isFalse();
		assertThat(body.add(parser("{\"id\":\"c1\",\"error\":\"not an object: kept like any other field\"}"))).isTrue();
		assertThat(body.body().path("error").asString()).isEqualTo("not an object: kept like any other field");
	}

	private static JsonParser parser(String chunk) {
		byte[] bytes = chunk.getBytes(StandardCharsets.UTF_8);
		return WireFormat.JSON.createParser(bytes, 0, bytes.length);
	}
}
