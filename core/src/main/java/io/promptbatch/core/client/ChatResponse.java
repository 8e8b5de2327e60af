package io.promptbatch.core.client;

import org.jspecify.annotations.Nullable;

/**
 * The parts of a chat completion that promptbatch keeps.
 *
 * @param id the provider's completion id
 * @param model the model that answered, as the provider named it
 * @param content the answer ({@code choices[0].message.content})
 * @param reasoning the thinking text of reasoning models, or null
 * @param finishReason why the answer ended ({@code stop}, {@code length}, ...)
 * @param usage the reported token counts
 */
public record ChatResponse(String id, String model, String content, @Nullable String reasoning,
		@Nullable String finishReason, Usage usage) {
}
