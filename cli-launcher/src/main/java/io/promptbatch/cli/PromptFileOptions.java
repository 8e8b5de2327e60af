package io.promptbatch.cli;

import io.promptbatch.core.prompt.PromptOptions;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Option;

/**
 * The options {@code run} and {@code estimate} share: the prompts file, how its prompts are rendered, the
 * model they go to, the completion limit and the prices. Both commands read a file the same way, so a prompt
 * is estimated as it would be sent.
 */
final class PromptFileOptions {

	@Option(names = "--input", required = true, paramLabel = "FILE", description = "Prompts: .csv (header row, column 'prompt') or .jsonl.")
	Path input;

	@Option(names = "--model", paramLabel = "M", description = "Model for records without a 'model' column (default: the provider's).")
	@Nullable String model;

	@Option(names = "--max-tokens", paramLabel = "N", description = "Completion token limit per request, sent in the field the provider and model honour (max_completion_tokens for OpenAI, Moonshot, Kimi K2.6 and OpenAI's reasoning models, else max_tokens). An answer longer than the limit stops the run; an estimate takes it as the expected (and highest) completion.")
	@Nullable Integer maxTokens;

	@Option(names = "--system", paramLabel = "TEXT", description = "System message for records without a 'system' column.")
	@Nullable String system;

	@Option(names = "--template", paramLabel = "TEXT", description = "User message with {{column}} variables; then no 'prompt' column is needed.")
	@Nullable String template;

	@Option(names = "--prices", paramLabel = "FILE", description = "Price file adding to or replacing the bundled table (for cost_usd, --budget-usd and estimates).")
	@Nullable Path pricesFile;

	/** How the input's records become prompts. */
	PromptOptions promptOptions(boolean skipInvalid) {
		return new PromptOptions(system, template, skipInvalid);
	}
}
