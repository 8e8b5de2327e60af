package io.promptbatch.report;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * What the job repository knows of a run, for the page's header.
 *
 * @param runId the run (job instance) id
 * @param status how the run's last execution ended
 * @param started when its first execution started, or null
 * @param ended when its last execution ended, or null while it runs
 * @param wall the time spent in all its executions
 * @param input the prompts file
 * @param output the answers file
 * @param endpoint where the requests went (the base URL)
 * @param model the run's model (records may name their own)
 * @param openAiBatch the output holds OpenAI Batch output lines
 * @param settings the command's other settings, by name, in display order; never the API key
 * @param simulated the answers came from promptbatch's built-in simulator: they are fake, and nothing was paid
 */
public record RunInfo(long runId, String status, @Nullable Instant started, @Nullable Instant ended, Duration wall,
		Path input, Path output, String endpoint, String model, boolean openAiBatch, Map<String, String> settings,
		boolean simulated) {
}
