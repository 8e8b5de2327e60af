package io.promptbatch.core.client;

import io.promptbatch.core.prompt.Message;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One chat-completions request.
 *
 * @param model the model name, passed through as given (provider model lists drift)
 * @param messages the conversation, ending with the user's turn
 * @param maxTokens the completion token limit, or null for the provider's default
 * @param temperature the sampling temperature, or null for the provider's default
 */
public record ChatRequest(String model, List<Message> messages, @Nullable Integer maxTokens,
		@Nullable Double temperature) {

	public ChatRequest {
		if (model.isBlank()) {
			throw new IllegalArgumentException("model must not be blank");
		}
		if (messages.isEmpty()) {
			throw new IllegalArgumentException("messages must not be empty");
		}
		messages = List.copyOf(messages);
	}
}
