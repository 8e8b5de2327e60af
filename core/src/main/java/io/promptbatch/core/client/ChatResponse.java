package io.promptbatch.core.client;

import io.promptbatch.core.chat.Usage;
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
 * @param body the provider's whole response body as JSON text: as received for a plain answer, the
 *     non-streaming body the chunks add up to for a streamed one; null for an answer recorded before
 *     bodies were kept
 */
public record ChatResponse(String id, String model, String content, @Nullable String reasoning,
		@Nullable String finishReason, Usage usage, @Nullable String body) {

	/** An answer whose body is not at hand. */
	public ChatResponse(String id, String model, String content, @Nullable String reasoning,
			@Nullable String finishReason, Usage usage) {
		this(id, model, content, reasoning, finishReason, usage, null);
	}
}
