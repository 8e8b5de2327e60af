package io.promptbatch.batch.fanout;

import io.promptbatch.core.client.ChatRequest;
import io.promptbatch.core.prompt.Prompt;
import org.jspecify.annotations.Nullable;

/**
 * Turns a prompt into a request with the run's settings; a record's own model overrides the run's.
 *
 * @param model the run's model
 * @param maxTokens the completion token limit, or null
 * @param temperature the sampling temperature, or null
 */
public record RequestFactory(String model, @Nullable Integer maxTokens, @Nullable Double temperature) {

	public ChatRequest requestFor(Prompt prompt) {
		return new ChatRequest(modelFor(prompt), prompt.messages(), maxTokens, temperature);
	}

	public String modelFor(Prompt prompt) {
		return prompt.model() != null ? prompt.model() : model;
	}
}
