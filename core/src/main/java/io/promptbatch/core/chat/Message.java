package io.promptbatch.core.chat;

import java.util.Map;
import java.util.TreeMap;
import tools.jackson.databind.JsonNode;

/**
 * One turn of a conversation.
 *
 * @param role {@code system}, {@code user}, {@code assistant} (or any role the provider accepts)
 * @param content the text of the turn
 * @param fields the message's other fields as the input gave them ({@code name}, Kimi's {@code partial}),
 *     sent with it, by name
 */
public record Message(String role, String content, Map<String, JsonNode> fields) {

	public Message {
		if (role.isBlank()) {
			throw new IllegalArgumentException("message role must not be blank");
		}
		fields = fields.isEmpty() ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(fields));
	}

	/** A turn with no fields but its role and content. */
	public Message(String role, String content) {
		this(role, content, Map.of());
	}

	public static Message system(String content) {
		return new Message("system", content);
	}

	public static Message user(String content) {
		return new Message("user", content);
	}
}
