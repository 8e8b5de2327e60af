package io.promptbatch.core.chat;

/**
 * Token counts as the provider reported them.
 *
 * @param promptTokens tokens in the request
 * @param completionTokens tokens in the answer (including reasoning)
 * @param totalTokens their sum as reported
 * @param cachedTokens prompt tokens served from the provider's context cache (0 when not reported)
 */
public record Usage(long promptTokens, long completionTokens, long totalTokens, long cachedTokens) {

	public static final Usage NONE = new Usage(0, 0, 0, 0);
}
