package io.promptbatch.core.client.internal;

import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
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
 * <p>
 * A chunk is read token by token ({@link #add(JsonParser)}): the text of a delta is appended to its field's
 * text as the parser decoded it, and a top-level value equal to the one kept (the {@code id}, {@code model} and
 * {@code created} that every chunk repeats) is not made into a node again, so that the usual chunk of a long
 * answer makes no JSON tree at all. What is rare (tool calls, log probabilities, usage, a finish reason, a choice
 * whose {@code index} does not come first) is read as a tree and merged as {@link #add(JsonNode)} merges it.
 * It is one piece (over 350 lines) because both ways of reading a chunk must merge into the same choices by the
 * same rules; apart, the two would drift.
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

	/**
	 * Adds a chunk read from {@code p} (one {@code data:} event), token by token.
	 *
	 * @return false when the event is an error event (its {@code error} an object); what it carried is not
	 *     an answer's, and the stream fails
	 */
	boolean add(JsonParser p) {
		if (p.nextToken() != JsonToken.START_OBJECT) {
			// not an object: merged as before, as a tree (which adds nothing)
			add(tree(p));
			return true;
		}
		for (String name = p.nextName(); name != null; name = p.nextName()) {
			JsonToken value = p.nextToken();
			switch (name) {
				case "choices" -> {
					if (value == JsonToken.START_ARRAY) {
						choices(p);
					}
					else {
						choices(tree(p));
					}
				}
				case "object" -> p.skipChildren();
				case "usage" -> {
					JsonNode u = tree(p);
					if (u.isObject()) {
						usage = u;
					}
				}
				case "error" -> {
					if (value == JsonToken.START_OBJECT) {
						return false;
					}
					top.set(name, tree(p));
				}
				default -> {
					if (!isKept(top.get(name), p, value)) {
						top.set(name, tree(p));
					}
				}
			}
		}
		return true;
	}

	/** Adds a chunk (one {@code data:} event that is not an error) read as a tree. */
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
		choices(chunk.path("choices"));
	}

	private void choices(JsonNode array) {
		int position = 0;
		for (JsonNode c : array) {
			choice(c, position++);
		}
	}

	/** A choice read as a tree; {@code position} is its index when it names none. */
	private void choice(JsonNode c, int position) {
		int index = c.path("index").asInt(position);
		Choice choice = choices.computeIfAbsent(index, i -> new Choice());
		for (Map.Entry<String, JsonNode> field : c.properties()) {
			JsonNode value = field.getValue();
			switch (field.getKey()) {
				case "index" -> {
				}
				case "delta" -> delta(choice, value);
				case "logprobs" -> logprobs(choice, value);
				case "finish_reason" -> finishReason(choice, value);
				default -> choice.rest.set(field.getKey(), value);
			}
		}
	}

	/** The choices array, the parser at its start. */
	private void choices(JsonParser p) {
		int position = 0;
		for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
			if (t == JsonToken.START_OBJECT) {
				choice(p, position++);
			}
			else {
				choice(tree(p), position++);
			}
		}
	}

	/** A choice, the parser at its start: read token by token when its {@code index} comes first, else as a tree. */
	private void choice(JsonParser p, int position) {
		String first = p.nextName();
		JsonToken token = first == null ? null : p.nextToken();
		if (!"index".equals(first) || token != JsonToken.VALUE_NUMBER_INT
				|| p.getNumberType() != JsonParser.NumberType.INT) {
			ObjectNode c = WireFormat.JSON.createObjectNode();
			boolean atValue = true;
			for (String name = first; name != null; name = p.nextName()) {
				if (!atValue) {
					p.nextToken();
				}
				atValue = false;
				c.set(name, tree(p));
			}
			choice(c, position);
			return;
		}
		Choice choice = choices.computeIfAbsent(p.getIntValue(), i -> new Choice());
		for (String name = p.nextName(); name != null; name = p.nextName()) {
			JsonToken value = p.nextToken();
			switch (name) {
				case "index" -> p.skipChildren();
				case "delta" -> {
					if (value == JsonToken.START_OBJECT) {
						delta(choice, p);
					}
					else {
						delta(choice, tree(p));
					}
				}
				case "logprobs" -> {
					if (value == JsonToken.VALUE_NULL) {
						choice.sawLogprobs = true;
					}
					else {
						logprobs(choice, tree(p));
					}
				}
				case "finish_reason" -> {
					if (value == JsonToken.VALUE_NULL) {
						if (!choice.rest.has(name)) {
							choice.rest.putNull(name);
						}
					}
					else {
						finishReason(choice, tree(p));
					}
				}
				default -> choice.rest.set(name, tree(p));
			}
		}
	}

	private static void finishReason(Choice choice, JsonNode value) {
		if (!value.isNull() || !choice.rest.has("finish_reason")) {
			choice.rest.set("finish_reason", value);
		}
	}

	/** A delta, the parser at its start: text appended as decoded, other values merged as in the tree form. */
	private static void delta(Choice choice, JsonParser p) {
		for (String name = p.nextName(); name != null; name = p.nextName()) {
			JsonToken value = p.nextToken();
			if (value == JsonToken.VALUE_STRING && !name.equals("role")) {
				StringBuilder text = choice.texts.get(name);
				if (text == null) {
					text = new StringBuilder();
					choice.texts.put(name, text);
					if (!choice.message.has(name)) {
						choice.message.putNull(name);
					}
				}
				text.append(p.getStringCharacters(), p.getStringOffset(), p.getStringLength());
			}
			else if (value == JsonToken.VALUE_NULL) {
				if (!choice.message.has(name)) {
					choice.message.putNull(name);
				}
			}
			else if (name.equals("tool_calls") && value == JsonToken.START_ARRAY) {
				toolCalls(choice, tree(p));
			}
			else if (!isKept(choice.message.get(name), p, value)) {
				choice.message.set(name, tree(p));
			}
		}
	}

	/** The value at the parser as a tree; the parser is left at its last token, the rest of the chunk to read. */
	private static JsonNode tree(JsonParser p) {
		JsonNode node = p.readValueAsTree();
		return node == null ? WireFormat.JSON.nullNode() : node;
	}

	/**
	 * Whether the scalar at the parser equals the value already kept, so that keeping the last value changes
	 * nothing; compared without making a string or a node.
	 */
	private static boolean isKept(@Nullable JsonNode kept, JsonParser p, JsonToken value) {
		if (kept == null) {
			return false;
		}
		if (value == JsonToken.VALUE_STRING && kept.isString()) {
			String s = kept.asString();
			int n = p.getStringLength();
			if (n != s.length()) {
				return false;
			}
			char[] chars = p.getStringCharacters();
			int offset = p.getStringOffset();
			for (int i = 0; i < n; i++) {
				if (chars[offset + i] != s.charAt(i)) {
					return false;
				}
			}
			return true;
		}
		return value == JsonToken.VALUE_NUMBER_INT && kept.isIntegralNumber() && kept.canConvertToLong()
				&& p.getNumberType() != JsonParser.NumberType.BIG_INTEGER && p.getLongValue() == kept.asLong();
	}

	private static void delta(Choice choice, JsonNode delta) {
		for (Map.Entry<String, JsonNode> field : delta.properties()) {
			JsonNode value = field.getValue();
			if (field.getKey().equals("tool_calls") && value.isArray()) {
				toolCalls(choice, value);
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

	private static void toolCalls(Choice choice, JsonNode calls) {
		int position = 0;
		for (JsonNode call : calls) {
			int index = call.path("index").asInt(position++);
			toolCall(choice.toolCalls.computeIfAbsent(index, i -> WireFormat.JSON.createObjectNode()), call);
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
