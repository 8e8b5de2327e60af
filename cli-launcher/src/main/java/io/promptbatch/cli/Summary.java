package io.promptbatch.cli;

import io.promptbatch.batch.RunOutcome;
import io.promptbatch.batch.output.RunTotals;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Path;
import java.util.Locale;
import org.springframework.batch.core.BatchStatus;

/** What a person at the terminal is told when a run ends. */
final class Summary {

	private Summary() {
	}

	/**
	 * @param adaptive where the adaptive concurrency limit ended, when the run had one ({@code --concurrency auto})
	 * @param simulated the run was answered by the built-in simulator
	 */
	static void print(PrintWriter err, RunOutcome outcome, Path output, Path stateDir,
			java.util.Optional<io.promptbatch.core.limit.ConcurrencyLimit.State> adaptive, boolean simulated) {
		RunTotals t = outcome.totals();
		if (outcome.alreadyComplete()) {
			err.printf(Locale.ROOT, "promptbatch: run %d already completed (%d rows, %d ok, %d failed) into %s; "
					+ "nothing to do. To run it again, give a new --run-key.%n", outcome.instanceId(), t.rows(), t.ok(),
					t.failed(), output);
			return;
		}
		if (outcome.status() == BatchStatus.COMPLETED) {
			err.printf(Locale.ROOT, "promptbatch: run %d completed: %d rows, %d ok%s, %d failed, in %s%n",
					outcome.instanceId(), t.rows(), t.ok(), t.cached() > 0 ? " (" + t.cached() + " from the cache)" : "",
					t.failed(), time(outcome));
		}
		else {
			err.printf(Locale.ROOT, "promptbatch: run %d %s after %d of %d rows: %s%n", outcome.instanceId(),
					outcome.status() == BatchStatus.STOPPED ? "stopped" : "failed",
					t.rows(), outcome.expectedRows(), outcome.failureMessage());
			err.printf(Locale.ROOT, "  Run the same command again (or 'promptbatch resume') to continue from row %d; "
					+ "answers already received are not paid for again.%n", t.rows() + 1);
			err.printf(Locale.ROOT, "  Details: %s%n", stateDir.resolve("promptbatch.log"));
		}
		err.printf(Locale.ROOT, "  tokens: %,d in, %,d out   cost: %s   retries: %d%n", t.promptTokens(),
				t.completionTokens(), cost(t), t.retries());
		err.printf(Locale.ROOT, "  latency: %s%s%n", t.latency(),
				outcome.status() == BatchStatus.COMPLETED ? "" : "   time: " + time(outcome));
		adaptive.ifPresent(a -> err.printf(Locale.ROOT, "  concurrency: auto, limit %d at the end (highest %d), "
				+ "%d answers said the provider was overloaded%s%n", a.limit(), a.highest(), a.overloads(),
				a.overloads() > 0 ? "; --concurrency " + a.limit() + " starts there next time" : ""));
		if (t.cached() > 0) {
			err.printf(Locale.ROOT, "  cache: %d rows answered from earlier runs (not sent, not paid; --no-cache sends "
					+ "them)%n", t.cached());
		}
		java.util.Map<String, RunTotals.Score> scores = t.scores();
		scores.forEach((model, score) -> err.printf(Locale.ROOT, "  score: %s %d/%d passed (%.1f%%)%n", model,
				score.passed(), score.scored(), score.passRate() * 100));
		long scored = scores.values().stream().mapToLong(RunTotals.Score::scored).sum();
		if (!scores.isEmpty() && scored < t.rows()) {
			err.printf(Locale.ROOT, "  score: %d rows not scored (failed, or no 'expected' value)%n", t.rows() - scored);
		}
		if (simulated) {
			err.printf(Locale.ROOT, "  simulated: %s%n", SummaryFile.SIMULATED_NOTE);
		}
		err.printf(Locale.ROOT, "  output: %s%n", output);
		try {
			err.printf(Locale.ROOT, "  summary: %s%n", SummaryFile.write(outcome, adaptive, simulated));
		}
		catch (java.io.IOException | RuntimeException e) {
			err.printf(Locale.ROOT, "  summary: could not be written (%s)%n", e.getMessage());
		}
		err.flush();
	}

	/**
	 * The run's time: this attempt's alone when it was the only one, else both, labelled. A single
	 * attempt's recorded start and end lie within the time measured around it, so a longer total means
	 * earlier attempts.
	 */
	static String time(RunOutcome outcome) {
		double attempt = outcome.wall().toMillis() / 1000.0;
		double all = outcome.runWall().toMillis() / 1000.0;
		if (all <= attempt + 0.05) {
			return String.format(Locale.ROOT, "%.1f s", attempt);
		}
		return String.format(Locale.ROOT, "%.1f s (this attempt; %.1f s over all attempts)", attempt, all);
	}

	private static String cost(RunTotals t) {
		String usd = "$" + t.costUsd().setScale(4, RoundingMode.HALF_UP).toPlainString();
		if (t.unpricedRows() > 0) {
			return usd + " (+ " + t.unpricedRows() + " rows of models without a price)";
		}
		return t.costUsd().compareTo(BigDecimal.ZERO) == 0 && t.ok() > t.cached() ? usd + " (no price known)" : usd;
	}
}
