package io.promptbatch.core.prompt;

import org.jspecify.annotations.Nullable;

/**
 * How records become prompts.
 *
 * @param system the system message for records that have none of their own, or null
 * @param template the user message with {@code {{column}}} variables, or null to use the
 *     {@code prompt} column or field
 * @param skipInvalid leave out records that are bad on their own (and repeated ids) instead of
 *     stopping at the first
 */
public record PromptOptions(@Nullable String system, @Nullable String template, boolean skipInvalid) {

	public static final PromptOptions DEFAULTS = new PromptOptions(null, null, false);

	public PromptOptions(@Nullable String system, @Nullable String template) {
		this(system, template, false);
	}
}
