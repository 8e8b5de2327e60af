package io.promptbatch.cli;

import io.promptbatch.batch.RunOutcome;
import io.promptbatch.batch.output.RunTotals;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code <output>.summary.json}: the run's totals, which equal the sums over the output's rows
 * (across restarts), for scripts and cron jobs.
 */
final class SummaryFile {

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private SummaryFile() {
	}

	static Path pathFor(Path output) {
		return output.resolveSibling(output.getFileName() + ".summary.json");
	}

	/** What the summary file says of a run answered by the built-in simulator. */
	static final String SIMULATED_NOTE = "answered by the built-in simulator: the answers are fake and nothing was "
			+ "paid; costs are what the price table would charge for the same tokens";

	/**
	 * @param adaptive where the adaptive concurrency limit ended, when the run had one: written as
	 * {@code concurrency.auto_limit_at_end}, {@code .auto_highest}, {@code .overloaded_answers}
	 * @param simulated the run was answered by the built-in simulator: written as {@code simulated} (always) and
	 * {@code simulated_note} (when true)
	 */
	static Path write(RunOutcome outcome, java.util.Optional<io.promptbatch.core.limit.ConcurrencyLimit.State> adaptive,
			boolean simulated) throws IOException {
		RunTotals t = outcome.totals();
		ObjectNode root = JSON.createObjectNode();
		root.put("run", outcome.instanceId());
		root.put("simulated", simulated);
		if (simulated) {
			root.put("simulated_note", SIMULATED_NOTE);
		}
		root.put("status", outcome.status().name().toLowerCase(java.util.Locale.ROOT));
		root.put("exit_code", outcome.exitCode());
		root.put("rows", t.rows());
		root.put("expected_rows", outcome.expectedRows());
		root.put("ok", t.ok());
		root.put("failed", t.failed());
		root.put("cached", t.cached());
		root.put("prompt_tokens", t.promptTokens());
		root.put("completion_tokens", t.completionTokens());
		root.put("cost_usd", t.costUsd());
		root.put("unpriced_rows", t.unpricedRows());
		root.put("retries", t.retries());
		ObjectNode latency = root.putObject("latency_ms");
		latency.put("p50", t.latency().percentile(50));
		latency.put("p95", t.latency().percentile(95));
		latency.put("p99", t.latency().percentile(99));
		root.put("wall_seconds", outcome.runWall().toMillis() / 1000.0);
		adaptive.ifPresent(a -> {
			ObjectNode concurrency = root.putObject("concurrency");
			concurrency.put("auto_limit_at_end", a.limit());
			concurrency.put("auto_highest", a.highest());
			concurrency.put("overloaded_answers", a.overloads());
		});
		if (!t.scores().isEmpty()) {
			ObjectNode scores = root.putObject("scores");
			t.scores().forEach((model, score) -> {
				ObjectNode m = scores.putObject(model);
				m.put("scored", score.scored());
				m.put("passed", score.passed());
				m.put("pass_rate", Math.round(score.passRate() * 10000) / 10000.0);
				m.put("n", score.choices());
				m.put("pass_at_1", Math.round(score.passRate() * 10000) / 10000.0);
				m.put("passed_any", score.passedAny());
				m.put("pass_at_n", Math.round(score.passAnyRate() * 10000) / 10000.0);
			});
		}
		Path file = pathFor(outcome.output());
		Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
		Files.writeString(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n",
				StandardCharsets.UTF_8);
		Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
		return file;
	}
}
