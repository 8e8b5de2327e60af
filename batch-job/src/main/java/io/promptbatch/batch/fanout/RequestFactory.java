package io.promptbatch.batch.fanout;

import io.promptbatch.core.chat.ChatRequest;
import io.promptbatch.core.prompt.Prompt;
import io.promptbatch.core.provider.MaxTokensField;
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
 * <p>The completion token cap is sent in the one field the server honours
 * ({@link MaxTokensField#honouredBy}, unless the run names it). A {@code max_completion_tokens} among the
 * extra fields (an OpenAI Batch body, {@code --param}) is a cap too, and is sent the same way.
 *
 * @param model the run's model
 * @param modelGiven the run's model was named by the user (not a provider's default)
 * @param maxTokens the run's completion token limit, or null
 * @param temperature the run's sampling temperature, or null
 * @param params the run's extra body fields
 * @param baseUrl the run's base URL, to look up which cap field its server honours
 * @param maxTokensField the cap field the run names ({@code --max-tokens-field}), or null to look it up
 */
public record RequestFactory(String model, boolean modelGiven, @Nullable Integer maxTokens,
		@Nullable Double temperature, Map<String, JsonNode> params, String baseUrl,
		@Nullable MaxTokensField maxTokensField) {

	private static final String COMPLETION_CAP = MaxTokensField.MAX_COMPLETION_TOKENS.wireName();

	public RequestFactory(String model, @Nullable Integer maxTokens, @Nullable Double temperature) {
		this(model, false, maxTokens, temperature, Map.of(), "", null);
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
		if (merged.containsKey(COMPLETION_CAP)) {
			merged = new LinkedHashMap<>(merged);
			merged.remove(COMPLETION_CAP);
		}
		String modelName = modelFor(prompt);
		return new ChatRequest(modelName, prompt.messages(), maxTokensFor(prompt),
				pick(own.fromRequestBody(), temperature, own.temperature()), merged, fieldFor(modelName));
	}

	public String modelFor(Prompt prompt) {
		return prompt.modelFor(model, modelGiven);
	}

	/** The field the cap of a request to {@code modelName} is sent in. */
	public MaxTokensField fieldFor(String modelName) {
		return maxTokensField != null ? maxTokensField : MaxTokensField.honouredBy(baseUrl, modelName);
	}

	/**
	 * The completion token limit of the prompt's request, or null when neither the run nor the record sets one.
	 * @throws IllegalArgumentException when a {@code max_completion_tokens} field is not a whole number of 1 or more
	 */
	public @Nullable Integer maxTokensFor(Prompt prompt) {
		Prompt.Settings own = prompt.settings();
		Integer ownCap = own.maxTokens() != null ? own.maxTokens() : cap(own.params().get(COMPLETION_CAP));
		Integer runCap = maxTokens != null ? maxTokens : cap(params.get(COMPLETION_CAP));
		return pick(own.fromRequestBody(), runCap, ownCap);
	}

	private static @Nullable Integer cap(@Nullable JsonNode value) {
		if (value == null || value.isNull()) {
			return null;
		}
		if (!value.canConvertToInt() || !value.isIntegralNumber() || value.asInt() < 1) {
			throw new IllegalArgumentException(COMPLETION_CAP + " " + value + " is not a whole number of 1 or more");
		}
		return value.asInt();
	}

	private static <T> @Nullable T pick(boolean runFirst, @Nullable T run, @Nullable T own) {
		if (runFirst) {
			return run != null ? run : own;
		}
		return own != null ? own : run;
	}
}
