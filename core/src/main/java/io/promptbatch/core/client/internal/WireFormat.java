package io.promptbatch.core.client.internal;

import io.promptbatch.core.chat.ChatRequest;
import io.promptbatch.core.chat.Message;
import io.promptbatch.core.chat.Usage;
import io.promptbatch.core.client.ChatResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The chat-completions wire format: request bodies, response parsing and request fingerprints.
 */
public final class WireFormat {

	public static final JsonMapper JSON = JsonMapper.builder().build();

	/** What a streamed request's body has after a plain one's fields, its closing brace included. */
	private static final byte[] STREAM_FIELDS = ",\"stream\":true,\"stream_options\":{\"include_usage\":true}}"
		.getBytes(StandardCharsets.US_ASCII);

	private WireFormat() {
	}

	/**
	 * The request body, with its fields always in the same order, so that equal requests give equal
	 * bytes (and so equal fingerprints).
	 */
	public static byte[] requestBody(ChatRequest request) {
		return JSON.writeValueAsBytes(body(request));
	}

	/**
	 * The body of a streamed request: a {@link #requestBody}'s fields, then {@code stream} and
	 * {@code stream_options.include_usage}, so that servers that report usage only when asked (OpenAI,
	 * vLLM, llama.cpp) still give token counts. The two fields are appended to the bytes given, not
	 * written again from a tree: a request cannot carry them already ({@link ChatRequest#RESERVED}).
	 *
	 * @param requestBody the request's {@link #requestBody}
	 */
	public static byte[] streamingRequestBody(byte[] requestBody) {
		int end = lastNonBlank(requestBody, requestBody.length - 1);
		int before = end < 0 ? -1 : lastNonBlank(requestBody, end - 1);
		if (before < 0 || requestBody[end] != '}') {
			throw new IllegalArgumentException("a request body is a JSON object, was " + requestBody.length
					+ " bytes not ending in '}'");
		}
		// an empty object takes the fields without the comma that separates them from the body's own
		int skip = requestBody[before] == '{' ? 1 : 0;
		byte[] body = Arrays.copyOf(requestBody, end + STREAM_FIELDS.length - skip);
		System.arraycopy(STREAM_FIELDS, skip, body, end, STREAM_FIELDS.length - skip);
		return body;
	}

	/** The index of the last byte at or before {@code from} that is not JSON whitespace, or -1. */
	private static int lastNonBlank(byte[] bytes, int from) {
		int i = from;
		while (i >= 0 && (bytes[i] == ' ' || bytes[i] == '\t' || bytes[i] == '\n' || bytes[i] == '\r')) {
			i--;
		}
		return i;
	}

	private static ObjectNode body(ChatRequest request) {
		ObjectNode body = JSON.createObjectNode();
		body.put("model", request.model());
		ArrayNode messages = body.putArray("messages");
		for (Message m : request.messages()) {
			ObjectNode message = messages.addObject();
			message.put("role", m.role());
			message.put("content", m.content());
			// a message's other fields as given (Kimi's "partial": true), sorted like the body's own
			m.fields().forEach((name, value) -> message.set(name, canonical(value)));
		}
		if (request.maxTokens() != null) {
			body.put(request.maxTokensField().wireName(), request.maxTokens());
		}
		if (request.temperature() != null) {
			body.put("temperature", request.temperature());
		}
		// extra fields in name order (the map is sorted), their objects' keys sorted too: equal requests
		// give equal bytes however their fields were written
		request.params().forEach((name, value) -> body.set(name, canonical(value)));
		return body;
	}

	/** The value with the keys of every object in it sorted. */
	static JsonNode canonical(JsonNode value) {
		if (value.isObject()) {
			ObjectNode sorted = JSON.createObjectNode();
			new java.util.TreeMap<>(value.properties().stream()
				.collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue)))
				.forEach((k, v) -> sorted.set(k, canonical(v)));
			return sorted;
		}
		if (value.isArray()) {
			ArrayNode copy = JSON.createArrayNode();
			value.forEach(v -> copy.add(canonical(v)));
			return copy;
		}
		return value;
	}

	/**
	 * A fingerprint of a request: SHA-256 of the base URL and the canonical request body. Equal
	 * fingerprints mean the same request to the same endpoint.
	 */
	public static String fingerprint(String baseUrl, ChatRequest request) {
		return fingerprint(baseUrl, requestBody(request));
	}

	/** {@link #fingerprint(String, ChatRequest)} of a request whose {@link #requestBody} is at hand. */
	public static String fingerprint(String baseUrl, byte[] requestBody) {
		try {
			MessageDigest sha = MessageDigest.getInstance("SHA-256");
			sha.update(baseUrl.getBytes(StandardCharsets.UTF_8));
			sha.update((byte) '\n');
			sha.update(requestBody);
			return HexFormat.of().formatHex(sha.digest());
		}
		catch (NoSuchAlgorithmException e) {
			throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
		}
	}

	/**
	 * Parses a chat completion.
	 * @throws IllegalArgumentException when the body is not a chat completion
	 */
	public static ChatResponse parseResponse(byte[] body) {
		JsonNode root;
		try {
			root = JSON.readTree(body);
		}
		catch (RuntimeException e) {
			throw new IllegalArgumentException("the response is not JSON", e);
		}
		JsonNode choice = root.path("choices").path(0);
		if (choice.isMissingNode()) {
			throw new IllegalArgumentException("the response has no choices");
		}
		JsonNode message = choice.path("message");
		return new ChatResponse(root.path("id").asString(""), root.path("model").asString(""),
				text(message.get("content"), ""), reasoning(message), text(choice.get("finish_reason"), null),
				usage(root.get("usage")), new String(body, StandardCharsets.UTF_8));
	}

	/** The thinking text: {@code reasoning_content} (Kimi, DeepSeek) or {@code reasoning} (vLLM, OpenRouter). */
	public static @Nullable String reasoning(JsonNode messageOrDelta) {
		String r = text(messageOrDelta.get("reasoning_content"), null);
		return r != null ? r : text(messageOrDelta.get("reasoning"), null);
	}

	public static Usage usage(@Nullable JsonNode usage) {
		if (usage == null || !usage.isObject()) {
			return Usage.NONE;
		}
		long prompt = usage.path("prompt_tokens").asLong(0);
		long completion = usage.path("completion_tokens").asLong(0);
		long total = usage.path("total_tokens").asLong(prompt + completion);
		long cached = usage.has("cached_tokens") ? usage.path("cached_tokens").asLong(0)
				: usage.path("prompt_tokens_details").path("cached_tokens").asLong(0);
		return new Usage(prompt, completion, total, cached);
	}

	private static @Nullable String text(@Nullable JsonNode node, @Nullable String fallback) {
		return node == null || node.isNull() ? fallback : node.asString();
	}
}
