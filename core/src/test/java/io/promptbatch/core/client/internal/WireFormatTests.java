package io.promptbatch.core.client.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.promptbatch.core.chat.ChatRequest;
import io.promptbatch.core.chat.Message;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

class WireFormatTests {

	private static JsonNode json(String text) {
		return WireFormat.JSON.readTree(text);
	}

	@Test
	void extraFieldsGoIntoTheBodyInCanonicalOrderSoEqualRequestsHaveEqualFingerprints() {
		Map<String, JsonNode> one = new LinkedHashMap<>();
		one.put("top_p", json("0.9"));
		one.put("response_format", json("{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"x\",\"strict\":true}}"));
		Map<String, JsonNode> other = new LinkedHashMap<>();
		other.put("response_format", json("{\"json_schema\":{\"strict\":true,\"name\":\"x\"},\"type\":\"json_schema\"}"));
		other.put("top_p", json("0.9"));
		List<Message> messages = List.of(Message.user("Hi"));
		ChatRequest a = new ChatRequest("m", messages, 10, 0.5, one);
		ChatRequest b = new ChatRequest("m", messages, 10, 0.5, other);

		String body = new String(WireFormat.requestBody(a), StandardCharsets.UTF_8);
		assertThat(body).isEqualTo("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],"
				+ "\"max_tokens\":10,\"temperature\":0.5,\"response_format\":{\"json_schema\":{\"name\":\"x\","
				+ "\"strict\":true},\"type\":\"json_schema\"},\"top_p\":0.9}");
		assertThat(WireFormat.requestBody(b)).isEqualTo(WireFormat.requestBody(a));
		assertThat(WireFormat.fingerprint("http://x/v1", b)).isEqualTo(WireFormat.fingerprint("http://x/v1", a));
		assertThat(WireFormat.fingerprint("http://x/v1", new ChatRequest("m", messages, 10, 0.5, Map.of())))
			.isNotEqualTo(WireFormat.fingerprint("http://x/v1", a));
		assertThat(WireFormat.fingerprint("http://y/v1", a)).isNotEqualTo(WireFormat.fingerprint("http://x/v1", a));
	}

	@Test
	void aStreamedBodyIsThePlainBodyWithTheStreamFieldsAfterItsOwnFieldForField() {
		// given: a request with every kind of field (a message's own fields, the cap, extras with nested objects)
		Map<String, JsonNode> extras = new LinkedHashMap<>();
		extras.put("top_p", json("0.9"));
		extras.put("response_format", json("{\"type\":\"json_object\",\"schema\":{\"b\":[1,{\"y\":2,\"x\":1}]}}"));
		ChatRequest request = new ChatRequest("kimi-k2.5", List.of(new Message("system", "Be brief \"now\"", Map.of()),
				new Message("assistant", "你好\n", Map.of("partial", json("true")))), 64, 0.3, extras);
		byte[] plain = WireFormat.requestBody(request);

		// when
		byte[] streamed = WireFormat.streamingRequestBody(plain);

		// then: the bytes the body's tree with the two fields put last gives (as streamed bodies were made before)
		ObjectNode tree = (ObjectNode) WireFormat.JSON.readTree(plain);
		tree.put("stream", true);
		tree.putObject("stream_options").put("include_usage", true);
		assertThat(new String(streamed, StandardCharsets.UTF_8))
			.isEqualTo(new String(WireFormat.JSON.writeValueAsBytes(tree), StandardCharsets.UTF_8));
		assertThat(WireFormat.JSON.readTree(streamed).propertyNames()).containsExactly("model", "messages",
				"max_tokens", "temperature", "response_format", "top_p", "stream", "stream_options");
	}

	@Test
	void anEmptyObjectAndTrailingWhitespaceStillGiveAValidStreamedBody() {
		// when: an empty object (no comma before the fields), and an object followed by whitespace
		byte[] empty = WireFormat.streamingRequestBody("{}".getBytes(StandardCharsets.UTF_8));
		byte[] padded = WireFormat.streamingRequestBody("{\"model\":\"m\"} \r\n".getBytes(StandardCharsets.UTF_8));

		// then
		assertThat(new String(empty, StandardCharsets.UTF_8))
			.isEqualTo("{\"stream\":true,\"stream_options\":{\"include_usage\":true}}");
		assertThat(new String(padded, StandardCharsets.UTF_8))
			.isEqualTo("{\"model\":\"m\",\"stream\":true,\"stream_options\":{\"include_usage\":true}}");
		assertThat(WireFormat.JSON.readTree(empty).propertyNames()).containsExactly("stream", "stream_options");
		assertThat(WireFormat.JSON.readTree(padded).propertyNames()).containsExactly("model", "stream",
				"stream_options");
	}

	@Test
	void aStreamedBodyIsMadeOnlyOfARequestBody() {
		assertThatThrownBy(() -> WireFormat.streamingRequestBody("[1]".getBytes(StandardCharsets.UTF_8)))
			.hasMessageContaining("a request body is a JSON object");
	}

	@Test
	void theTransportsOwnFieldsCannotBePassedAsExtras() {
		assertThatThrownBy(() -> new ChatRequest("m", List.of(Message.user("Hi")), null, null,
				Map.of("stream", json("true"))))
			.hasMessageContaining("'stream' cannot be passed");
	}
}
