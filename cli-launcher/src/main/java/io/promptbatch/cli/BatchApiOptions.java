package io.promptbatch.cli;

import io.promptbatch.batch.RunSpec;
import java.time.Duration;
import picocli.CommandLine.Option;

/** The options of {@code run} that send its rows through the provider's Batch API; checked by {@link RunChecks}. */
final class BatchApiOptions {

	@Option(names = "--batch-api", description = "Send the rows through the provider's Batch API (files of requests, one batch per model, answered within --completion-window at batch prices) instead of one live request each; the output is the same. Moonshot, OpenAI or a --base-url with /files and /batches; Ace Data Cloud has none. A kill costs nothing: the same command finds its files and batches again.")
	boolean batchApi;

	@Option(names = "--completion-window", paramLabel = "WINDOW", defaultValue = RunSpec.Batching.COMPLETION_WINDOW, description = "With --batch-api: the time the provider is given to answer, e.g. 24h (OpenAI: 24h only; Kimi: 12h to 7d) (default: ${DEFAULT-VALUE}).")
	String completionWindow;

	@Option(names = "--no-wait", description = "With --batch-api: submit the batches and exit 0; the same command (or 'promptbatch resume') later waits for them and writes the answers.")
	boolean noWait;

	@Option(names = "--batch-fallback", paramLabel = "none|live", defaultValue = "none", description = "With --batch-api: rows the batches did not answer for the provider's reasons (5xx, expired, cancelled), once --max-retries follow-up batches are used up: none (failed rows) or live (sent as live requests) (default: ${DEFAULT-VALUE}).")
	String batchFallback;

	@Option(names = "--batch-max-poll", paramLabel = "DURATION", defaultValue = RunSpec.Batching.MAX_POLL, hidden = true, description = "With --batch-api: the longest wait between two looks at the batches.")
	Duration batchMaxPoll;

	@Option(names = "--batch-max-lines", paramLabel = "N", defaultValue = "0", hidden = true, description = "With --batch-api: lines per batch file at most (0: the provider's limit).")
	long batchMaxLines;

	@Option(names = "--batch-max-bytes", paramLabel = "N", defaultValue = "0", hidden = true, description = "With --batch-api: bytes per batch file at most (0: the provider's limit).")
	long batchMaxBytes;
}
