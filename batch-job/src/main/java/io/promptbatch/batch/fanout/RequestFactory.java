package io.promptbatch.batch.fanout;

import io.promptbatch.core.client.ChatRequest;
import io.promptbatch.core.prompt.Prompt;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * Turns a prompt into a request with the run's settings. A record's own settings ({@code model},
 * {@code temperature}, {@code max_tokens} columns or fields) override the run's; for an OpenAI Batch
 * line, whose body is the request, it is the other way round: a setting given on the command line
 * overrides the body's. Extra body fields ({@code --param}) are merged the same way.
 *
 * @param model the run's model
 * @param modelGiven the run's model was named by the user (not a provider's default)
 * @param maxTokens the run's completion token limit, or null
 * @param temperature the run's sampling temperature, or null
 * @param params the run's extra body fields
 */
public record RequestFactory(String model, boolean modelGiven, @Nullable Integer maxTokens,
		@Nullable Double temperature, Map<String, JsonNode> params) {

	public RequestFactory(String model, @Nullable Integer maxTokens, @Nullable Double temperature) {
		this(model, false, maxTokens, temperature, Map.of());
	}

	public ChatRequest requestFor(Prompt prompt) {
		Prompt.Settings own = prompt.settings();
		Map<String, JsonNode> merged = params;
		if (!own.params().isEmpty()) {
			merged = new LinkedHashMap<>();
			if (own.fromRequestBody()) {
				merged.putAll(own.params());
				merged.putAll(params);
			}
			else {
				merged.putAll(params);
				merged.putAll(own.params());
			}
		}
		return new ChatRequest(modelFor(prompt), prompt.messages(), maxTokensFor(prompt),
				pick(own.fromRequestBody(), temperature, own.temperature()), merged);
	}

	public String modelFor(Prompt prompt) {
		return prompt.modelFor(model, modelGiven);
	}

	/** The completion token limit of the prompt's request, or null when neither the run nor the record sets one. */
	public @Nullable Integer maxTokensFor(Prompt prompt) {
		return pick(prompt.settings().fromRequestBody(), maxTokens, prompt.settings().maxTokens());
	}

	private static <T> @Nullable T pick(boolean runFirst, @Nullable T run, @Nullable T own) {
		if (runFirst) {
			return run != null ? run : own;
		}
		return own != null ? own : run;
	}
}
