package io.promptbatch.core.prompt;

/**
 * One turn of a conversation.
 *
 * @param role {@code system}, {@code user}, {@code assistant} (or any role the provider accepts)
 * @param content the text of the turn
 */
public record Message(String role, String content) {

	public Message {
		if (role.isBlank()) {
			throw new IllegalArgumentException("message role must not be blank");
		}
	}

	public static Message system(String content) {
		return new Message("system", content);
	}

	public static Message user(String content) {
		return new Message("user", content);
	}
}
