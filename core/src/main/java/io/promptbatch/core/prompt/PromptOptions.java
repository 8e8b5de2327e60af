package io.promptbatch.core.prompt;

import org.jspecify.annotations.Nullable;

/**
 * How records become prompts.
 *
 * @param system the system message for records that have none of their own, or null
 * @param template the user message with {@code {{column}}} variables, or null to use the
 *     {@code prompt} column or field
 */
public record PromptOptions(@Nullable String system, @Nullable String template) {

	public static final PromptOptions DEFAULTS = new PromptOptions(null, null);
}
