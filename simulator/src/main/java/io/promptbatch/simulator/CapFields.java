package io.promptbatch.simulator;

import tools.jackson.databind.JsonNode;

/**
 * Which request fields the simulator reads as the completion token cap, so that servers that honour
 * only one of them (Kimi K2.6 reads only {@code max_completion_tokens}; an older server only
 * {@code max_tokens}) or none can be played. A field the simulator does not read is ignored, as such a
 * server does: the answer is as long as it would be without it.
 */
public enum CapFields {

	/** Reads {@code max_completion_tokens}, else {@code max_tokens} (OpenAI, vLLM): the default. */
	BOTH,

	/** Reads only {@code max_tokens}; ignores {@code max_completion_tokens}. */
	MAX_TOKENS_ONLY,

	/** Reads only {@code max_completion_tokens} and ignores {@code max_tokens}, as Kimi K2.6 does. */
	MAX_COMPLETION_TOKENS_ONLY,

	/** Ignores every cap. */
	NONE;

	/** The cap this server honours in the request, or 0 for none. */
	int capOf(JsonNode request) {
		int maxTokens = request.path("max_tokens").asInt(0);
		int maxCompletionTokens = request.path("max_completion_tokens").asInt(0);
		return switch (this) {
			case BOTH -> maxCompletionTokens > 0 ? maxCompletionTokens : maxTokens;
			case MAX_TOKENS_ONLY -> maxTokens;
			case MAX_COMPLETION_TOKENS_ONLY -> maxCompletionTokens;
			case NONE -> 0;
		};
	}
}
