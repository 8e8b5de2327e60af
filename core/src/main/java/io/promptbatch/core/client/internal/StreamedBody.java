package io.promptbatch.core.client.internal;

import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The non-streaming body a stream of chat-completion chunks adds up to: the chunks' top-level fields
 * ({@code id}, {@code created}, {@code model}, {@code system_fingerprint} and any other, the last value
 * of each), {@code object} {@code chat.completion}, every choice by its {@code index} with its message
 * (text fields such as {@code content}, {@code reasoning_content} and {@code refusal} joined, {@code
 * tool_calls} assembled by their {@code index} with their {@code arguments} joined, other fields the
 * last value), its {@code logprobs} ({@code content} and {@code refusal} entries joined) and its
 * {@code finish_reason}, and the {@code usage} as sent.
 */
final class StreamedBody {

	/** One choice being assembled. */
	private static final class Choice {

		final ObjectNode message = WireFormat.JSON.createObjectNode();
		final Map<String, StringBuilder> texts = new java.util.LinkedHashMap<>();
		final TreeMap<Integer, ObjectNode> toolCalls = new TreeMap<>();
		final ObjectNode rest = WireFormat.JSON.createObjectNode();
		@Nullable ObjectNode logprobs;
		boolean sawLogprobs;
	}

	private final ObjectNode top = WireFormat.JSON.createObjectNode();
	private final TreeMap<Integer, Choice> choices = new TreeMap<>();
	private @Nullable JsonNode usage;

	/** Adds a chunk (one {@code data:} event that is not an error). */
	void add(JsonNode chunk) {
		for (Map.Entry<String, JsonNode> field : chunk.properties()) {
			switch (field.getKey()) {
				case "choices", "object" -> {
				}
				case "usage" -> {
					if (field.getValue().isObject()) {
						usage = field.getValue();
					}
				}
				default -> top.set(field.getKey(), field.getValue());
			}
		}
		int position = 0;
		for (JsonNode c : chunk.path("choices")) {
			int index = c.path("index").asInt(position++);
			Choice choice = choices.computeIfAbsent(index, i -> new Choice());
			for (Map.Entry<String, JsonNode> field : c.properties()) {
				JsonNode value = field.getValue();
				switch (field.getKey()) {
					case "index" -> {
					}
					case "delta" -> delta(choice, value);
					case "logprobs" -> logprobs(choice, value);
					case "finish_reason" -> {
						if (!value.isNull() || !choice.rest.has("finish_reason")) {
							choice.rest.set("finish_reason", value);
						}
					}
					default -> choice.rest.set(field.getKey(), value);
				}
			}
		}
	}

	private static void delta(Choice choice, JsonNode delta) {
		for (Map.Entry<String, JsonNode> field : delta.properties()) {
			JsonNode value = field.getValue();
			if (field.getKey().equals("tool_calls") && value.isArray()) {
				int position = 0;
				for (JsonNode call : value) {
					int index = call.path("index").asInt(position++);
					toolCall(choice.toolCalls.computeIfAbsent(index, i -> WireFormat.JSON.createObjectNode()), call);
				}
			}
			else if (value.isString() && !field.getKey().equals("role")) {
				choice.texts.computeIfAbsent(field.getKey(), k -> new StringBuilder()).append(value.asString());
				if (!choice.message.has(field.getKey())) {
					choice.message.putNull(field.getKey());
				}
			}
			else if (!value.isNull() || !choice.message.has(field.getKey())) {
				choice.message.set(field.getKey(), value);
			}
		}
	}

	/** Merges a tool-call delta: {@code function.arguments} joined, every other field the last value. */
	private static void toolCall(ObjectNode call, JsonNode delta) {
		for (Map.Entry<String, JsonNode> field : delta.properties()) {
			if (field.getKey().equals("index")) {
				continue;
			}
			if (field.getKey().equals("function") && field.getValue().isObject()) {
				ObjectNode function = call.has("function") ? (ObjectNode) call.get("function") : call.putObject("function");
				for (Map.Entry<String, JsonNode> f : field.getValue().properties()) {
					if (f.getKey().equals("arguments") && f.getValue().isString()) {
						function.put("arguments", function.path("arguments").asString("") + f.getValue().asString());
					}
					else if (!f.getValue().isNull() || !function.has(f.getKey())) {
						function.set(f.getKey(), f.getValue());
					}
				}
			}
			else if (!field.getValue().isNull() || !call.has(field.getKey())) {
				call.set(field.getKey(), field.getValue());
			}
		}
	}

	private static void logprobs(Choice choice, JsonNode logprobs) {
		choice.sawLogprobs = true;
		if (!logprobs.isObject()) {
			return;
		}
		ObjectNode joined = choice.logprobs == null ? choice.logprobs = WireFormat.JSON.createObjectNode()
				: choice.logprobs;
		for (Map.Entry<String, JsonNode> field : logprobs.properties()) {
			JsonNode value = field.getValue();
			if (value.isArray() && joined.get(field.getKey()) instanceof ArrayNode entries) {
				entries.addAll((ArrayNode) value);
			}
			else if (value.isArray()) {
				joined.set(field.getKey(), value.deepCopy());
			}
			else if (!value.isNull() || !joined.has(field.getKey())) {
				joined.set(field.getKey(), value);
			}
		}
	}

	/** The joined text of a field of the first choice's message, or null when no chunk carried it. */
	@Nullable String firstChoiceText(String field) {
		Choice first = choices.get(0);
		StringBuilder text = first == null ? null : first.texts.get(field);
		return text == null ? null : text.toString();
	}

	/** The first choice's finish reason, or null. */
	@Nullable String firstChoiceFinishReason() {
		Choice first = choices.get(0);
		JsonNode reason = first == null ? null : first.rest.get("finish_reason");
		return reason == null || reason.isNull() ? null : reason.asString();
	}

	/** The body so far, in the non-streaming shape. */
	ObjectNode body() {
		ObjectNode body = WireFormat.JSON.createObjectNode();
		body.set("id", top.get("id"));
		body.put("object", "chat.completion");
		top.properties().forEach(f -> body.set(f.getKey(), f.getValue()));
		ArrayNode array = body.putArray("choices");
		choices.forEach((index, c) -> {
			ObjectNode choice = array.addObject();
			choice.put("index", index);
			ObjectNode message = choice.putObject("message");
			if (!c.message.has("role")) {
				message.put("role", "assistant");
			}
			c.message.properties().forEach(f -> message.set(f.getKey(), f.getValue()));
			if (!message.has("content")) {
				message.putNull("content");
			}
			c.texts.forEach((field, text) -> message.put(field, text.toString()));
			if (!c.toolCalls.isEmpty()) {
				ArrayNode calls = message.putArray("tool_calls");
				c.toolCalls.values().forEach(calls::add);
			}
			if (c.sawLogprobs) {
				choice.set("logprobs", c.logprobs);
			}
			c.rest.properties().forEach(f -> choice.set(f.getKey(), f.getValue()));
		});
		if (usage != null) {
			body.set("usage", usage);
		}
		return body;
	}
}
