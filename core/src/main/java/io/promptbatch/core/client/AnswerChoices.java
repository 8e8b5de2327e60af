package io.promptbatch.core.client;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * What an answer's kept body holds beyond the first choice's text, reasoning and finish reason: every
 * choice with its tool calls, refusal, log-probabilities and the fields promptbatch does not know, the
 * {@code system_fingerprint}, and the body's other fields ({@code created}, the usage's details, a
 * provider's own). The one place the row's extra fields are derived from the body.
 *
 * @param choices every choice, by index; one, built from the response's fields, when no body was kept
 * @param systemFingerprint the body's {@code system_fingerprint}, or null
 * @param extra the body's fields other than {@code id}, {@code object}, {@code model}, {@code choices},
 *     {@code system_fingerprint} and the usage's three counts, or null when there are none
 */
public record AnswerChoices(List<Choice> choices, @Nullable String systemFingerprint, @Nullable ObjectNode extra) {

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private static final Set<String> KNOWN_TOP = Set.of("id", "object", "model", "choices", "system_fingerprint");

	private static final Set<String> KNOWN_USAGE = Set.of("prompt_tokens", "completion_tokens", "total_tokens");

	private static final Set<String> KNOWN_CHOICE = Set.of("index", "message", "logprobs", "finish_reason");

	private static final Set<String> KNOWN_MESSAGE = Set.of("role", "content", "reasoning_content", "reasoning",
			"tool_calls", "refusal");

	/**
	 * One choice.
	 *
	 * @param index the choice's {@code index}
	 * @param answer {@code message.content}, or null (a tool call or a refusal)
	 * @param reasoning the thinking text ({@code reasoning_content} or {@code reasoning}), or null
	 * @param finishReason {@code finish_reason}, or null
	 * @param toolCalls {@code message.tool_calls} as sent (id, type, function name and arguments), or null
	 * @param refusal {@code message.refusal}, or null
	 * @param logprobs the choice's {@code logprobs}, or null when none were sent
	 * @param extra the message's and the choice's fields not named above ({@code {"message":{..},
	 *     "choice":{..}}}), or null when there are none
	 */
	public record Choice(int index, @Nullable String answer, @Nullable String reasoning, @Nullable String finishReason,
			@Nullable JsonNode toolCalls, @Nullable String refusal, @Nullable JsonNode logprobs,
			@Nullable ObjectNode extra) {

		/** The choice as a JSON object with snake_case fields, as rows write it. */
		public ObjectNode toJson() {
			ObjectNode node = JSON.createObjectNode();
			node.put("index", index);
			node.put("answer", answer);
			node.put("reasoning", reasoning);
			node.put("finish_reason", finishReason);
			node.set("tool_calls", toolCalls);
			node.put("refusal", refusal);
			node.set("logprobs", logprobs);
			node.set("extra", extra);
			return node;
		}
	}

	/** The first choice. */
	public Choice first() {
		return choices.get(0);
	}

	/** The choices' answers, in order (null for a choice without text). */
	public List<@Nullable String> answers() {
		List<@Nullable String> answers = new ArrayList<>();
		choices.forEach(c -> answers.add(c.answer()));
		return answers;
	}

	/** Every choice as JSON, as the row's {@code choices} field. */
	public JsonNode choicesJson() {
		var array = JSON.createArrayNode();
		choices.forEach(c -> array.add(c.toJson()));
		return array;
	}

	/** The parts of a response: from its kept body, or from its fields when it has none. */
	public static AnswerChoices of(ChatResponse response) {
		JsonNode body = parse(response.body());
		if (body == null || !body.path("choices").isArray() || body.path("choices").isEmpty()) {
			return new AnswerChoices(List.of(new Choice(0, response.content(), response.reasoning(),
					response.finishReason(), null, null, null, null)), null, null);
		}
		List<Choice> choices = new ArrayList<>();
		int position = 0;
		for (JsonNode c : body.get("choices")) {
			choices.add(choice(c, position++));
		}
		ObjectNode extra = JSON.createObjectNode();
		for (Map.Entry<String, JsonNode> f : body.properties()) {
			if (f.getKey().equals("usage") && f.getValue().isObject()) {
				ObjectNode usage = unknown(f.getValue(), KNOWN_USAGE);
				if (usage != null) {
					extra.set("usage", usage);
				}
			}
			else if (!KNOWN_TOP.contains(f.getKey())) {
				extra.set(f.getKey(), f.getValue());
			}
		}
		return new AnswerChoices(List.copyOf(choices), text(body.get("system_fingerprint")),
				extra.isEmpty() ? null : extra);
	}

	private static Choice choice(JsonNode c, int position) {
		JsonNode message = c.path("message");
		String reasoning = text(message.get("reasoning_content"));
		if (reasoning == null) {
			reasoning = text(message.get("reasoning"));
		}
		JsonNode calls = message.get("tool_calls");
		JsonNode logprobs = c.get("logprobs");
		ObjectNode extra = JSON.createObjectNode();
		ObjectNode messageExtra = unknown(message, KNOWN_MESSAGE);
		if (messageExtra != null) {
			extra.set("message", messageExtra);
		}
		ObjectNode choiceExtra = unknown(c, KNOWN_CHOICE);
		if (choiceExtra != null) {
			extra.set("choice", choiceExtra);
		}
		return new Choice(c.path("index").asInt(position), text(message.get("content")), reasoning,
				text(c.get("finish_reason")), calls == null || calls.isNull() ? null : calls,
				text(message.get("refusal")), logprobs == null || logprobs.isNull() ? null : logprobs,
				extra.isEmpty() ? null : extra);
	}

	private static @Nullable ObjectNode unknown(JsonNode node, Set<String> known) {
		ObjectNode rest = JSON.createObjectNode();
		for (Map.Entry<String, JsonNode> f : node.properties()) {
			if (!known.contains(f.getKey())) {
				rest.set(f.getKey(), f.getValue());
			}
		}
		return rest.isEmpty() ? null : rest;
	}

	private static @Nullable String text(@Nullable JsonNode node) {
		return node == null || node.isNull() || node.isMissingNode() ? null : node.asString();
	}

	private static @Nullable JsonNode parse(@Nullable String body) {
		if (body == null) {
			return null;
		}
		try {
			JsonNode node = JSON.readTree(body);
			return node != null && node.isObject() ? node : null;
		}
		catch (JacksonException e) {
			return null;
		}
	}
}
