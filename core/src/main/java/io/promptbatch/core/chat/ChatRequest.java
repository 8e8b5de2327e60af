package io.promptbatch.core.chat;

import io.promptbatch.core.provider.MaxTokensField;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * One chat-completions request.
 *
 * @param model the model name, passed through as given (provider model lists drift)
 * @param messages the conversation, ending with the user's turn, or with the assistant's to be continued
 *     (Kimi's partial mode)
 * @param maxTokens the completion token limit, or null for the provider's default
 * @param maxTokensField the body field that carries {@code maxTokens} (the one the server honours)
 * @param temperature the sampling temperature, or null for the provider's default
 * @param params any other body fields ({@code response_format}, {@code top_p}, ...), by name; the
 *     transport's own fields ({@code stream}, {@code stream_options}) are set by the client and cannot be
 *     given here
 */
public record ChatRequest(String model, List<Message> messages, @Nullable Integer maxTokens,
		@Nullable Double temperature, Map<String, JsonNode> params, MaxTokensField maxTokensField) {

	/** Body fields that the request's own components or the client's transport set. */
	public static final Set<String> RESERVED = Set.of("model", "messages", "max_tokens", "temperature", "stream",
			"stream_options");

	public ChatRequest {
		if (model.isBlank()) {
			throw new IllegalArgumentException("model must not be blank");
		}
		if (messages.isEmpty()) {
			throw new IllegalArgumentException("messages must not be empty");
		}
		messages = List.copyOf(messages);
		for (String name : params.keySet()) {
			if (RESERVED.contains(name)) {
				throw new IllegalArgumentException("'" + name + "' cannot be passed as an extra body field");
			}
			if (name.equals(MaxTokensField.MAX_COMPLETION_TOKENS.wireName())) {
				throw new IllegalArgumentException("'" + name + "' is the completion token cap: give it as maxTokens, "
						+ "with the field that carries it");
			}
		}
		params = Collections.unmodifiableMap(new TreeMap<>(params));
	}

	/** A request whose cap, if any, is sent as {@code max_tokens}. */
	public ChatRequest(String model, List<Message> messages, @Nullable Integer maxTokens,
			@Nullable Double temperature, Map<String, JsonNode> params) {
		this(model, messages, maxTokens, temperature, params, MaxTokensField.MAX_TOKENS);
	}

	public ChatRequest(String model, List<Message> messages, @Nullable Integer maxTokens,
			@Nullable Double temperature) {
		this(model, messages, maxTokens, temperature, Map.of());
	}
}
