package io.promptbatch.cli;

import io.promptbatch.batch.CacheMode;
import io.promptbatch.batch.Concurrency;
import io.promptbatch.batch.RunSpec;
import io.promptbatch.batch.fanout.AnswerWindowReader;
import io.promptbatch.batch.output.OutputFormat;
import io.promptbatch.batch.partition.Partitioning;
import io.promptbatch.core.cost.PriceTable;
import io.promptbatch.core.prompt.InputScan;
import io.promptbatch.core.provider.BatchLimits;
import io.promptbatch.core.provider.MaxTokensField;
import io.promptbatch.core.score.Scorer;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;

/**
 * The checks of {@code run}'s options against each other and against the target, each refusing with a
 * {@link PromptbatchCommand.UsageException} (exit 2) that names the options and what to do; each returns what the
 * options make when they pass.
 */
final class RunChecks {

	private RunChecks() {
	}

	/** What this process does with partitions: with {@code --partitions}, runs one at a time unless told not to. */
	static Partitioning partitioning(@Nullable Integer partitions, boolean noLocalWorker, @Nullable String stateDb,
			boolean batchApi) {
		if (partitions == null) {
			if (noLocalWorker) {
				throw new PromptbatchCommand.UsageException("--no-local-worker needs --partitions N");
			}
			return Partitioning.NONE;
		}
		if (stateDb == null || stateDb.isBlank()) {
			throw new PromptbatchCommand.UsageException("--partitions needs --state-db JDBC_URL: the partitions and their "
					+ "workers meet in a shared PostgreSQL database");
		}
		if (batchApi) {
			throw new PromptbatchCommand.UsageException("--partitions and --batch-api do not go together: the Batch API "
					+ "answers a whole run in the provider's batches, with no workers to share it among; give one of them");
		}
		if (partitions < 1 || partitions > 10_000) {
			throw new PromptbatchCommand.UsageException("--partitions must be between 1 and 10000, was " + partitions);
		}
		return new Partitioning(noLocalWorker ? 0 : 1, 0, WorkerCommand.version());
	}

	/** Partitions run in other processes, which cannot reach the simulator inside this one. */
	static void partitionsReachTarget(@Nullable Integer partitions, RunTarget target) {
		if (partitions != null && target.simulator()) {
			throw new PromptbatchCommand.UsageException("--partitions needs --base-url (or --provider): the built-in "
					+ "simulator runs inside this process, where workers cannot reach it; start 'promptbatch simulator' and "
					+ "give its URL");
		}
	}

	/** The Batch API settings, checked against the target and the other options. */
	static RunSpec.Batching batching(BatchApiOptions o, RunTarget target, CacheMode cache) {
		if (!o.batchApi) {
			if (o.noWait) {
				throw new PromptbatchCommand.UsageException("--no-wait submits batches: it needs --batch-api");
			}
			return RunSpec.Batching.OFF;
		}
		if (BatchLimits.at(target.recordedBaseUrl()).isEmpty()) {
			throw new PromptbatchCommand.UsageException("--batch-api: " + BatchLimits.noBatchApi(target.recordedBaseUrl()));
		}
		if (cache == CacheMode.ONLY) {
			throw new PromptbatchCommand.UsageException("--batch-api sends what the cache does not hold, and --cache-only "
					+ "sends nothing: give one of them");
		}
		if (o.noWait && target.simulator()) {
			throw new PromptbatchCommand.UsageException("--no-wait leaves the batches running, and the built-in "
					+ "simulator ends with this command: start 'promptbatch simulator' and pass its --base-url");
		}
		if (!o.batchFallback.equals("none") && !o.batchFallback.equals("live")) {
			throw new PromptbatchCommand.UsageException("--batch-fallback takes none or live, was '" + o.batchFallback
					+ "'");
		}
		try {
			return new RunSpec.Batching(true, o.completionWindow.strip(), o.noWait, o.batchFallback.equals("live"),
					o.batchMaxPoll, o.batchMaxBytes, o.batchMaxLines);
		}
		catch (IllegalArgumentException e) {
			throw new PromptbatchCommand.UsageException("--completion-window: " + e.getMessage());
		}
	}

	/**
	 * {@code --concurrency} (a number, or {@code auto} up to {@code --max-concurrency}), capped at
	 * {@link Concurrency#CEILING} with a warning.
	 * @param origin an option's name as a message names it (with where its value came from)
	 */
	static Concurrency concurrency(String text, int maxConcurrency, UnaryOperator<String> origin, PrintWriter err) {
		boolean auto = text.strip().equalsIgnoreCase("auto");
		String option = origin.apply(auto ? "--max-concurrency" : "--concurrency");
		int n;
		try {
			n = auto ? maxConcurrency : Integer.parseInt(text.strip());
		}
		catch (NumberFormatException e) {
			throw new PromptbatchCommand.UsageException(option + " takes a number or 'auto', was '" + text + "'");
		}
		if (n > Concurrency.CEILING) {
			err.printf("promptbatch: %s %d is above the ceiling of %d requests in flight; using %d%n", option, n,
					Concurrency.CEILING, Concurrency.CEILING);
			n = Concurrency.CEILING;
		}
		try {
			return auto ? Concurrency.auto(n) : Concurrency.fixed(n);
		}
		catch (IllegalArgumentException e) {
			throw new PromptbatchCommand.UsageException(option + ": " + e.getMessage());
		}
	}

	/** The output's format: {@code --output-format}, else by the output's extension. */
	static OutputFormat outputFormat(@Nullable String named, Path output) {
		try {
			return named != null ? OutputFormat.named(named) : OutputFormat.of(output);
		}
		catch (IllegalArgumentException e) {
			throw new PromptbatchCommand.UsageException((named != null ? "--output-format: " : "") + e.getMessage());
		}
	}

	/** The scorer {@code --score} names, or null. */
	static @Nullable Scorer scorer(@Nullable String score) {
		try {
			return score == null ? null : Scorer.of(score);
		}
		catch (IllegalArgumentException e) {
			throw new PromptbatchCommand.UsageException("--score: " + e.getMessage());
		}
	}

	/**
	 * A budget bounds each request's worst case: it needs a completion limit and the model's price; a prices file is
	 * read (and refused when it is bad) before anything is sent.
	 */
	static void budget(@Nullable BigDecimal budgetUsd, @Nullable Integer maxTokens, String model,
			@Nullable Path pricesFile) {
		if (budgetUsd != null && maxTokens == null) {
			throw new PromptbatchCommand.UsageException("--budget-usd needs --max-tokens: without a completion limit a "
					+ "request's worst case has no bound");
		}
		if (pricesFile != null) {
			PriceTable.bundled().withOverrides(pricesFile);
		}
		if (budgetUsd != null && PriceTable.bundled().price(model).isEmpty() && pricesFile == null) {
			throw new PromptbatchCommand.UsageException("--budget-usd: model " + model + " has no price; add it "
					+ "with --prices FILE");
		}
	}

	/** The field {@code --max-tokens-field} names, or null for the built-in table's. */
	static @Nullable MaxTokensField maxTokensField(@Nullable String name) {
		try {
			return name == null ? null : MaxTokensField.of(name);
		}
		catch (IllegalArgumentException e) {
			throw new PromptbatchCommand.UsageException("--max-tokens-field: " + e.getMessage());
		}
	}

	/** A scorer that compares answers with an expected value needs the input to carry one. */
	static void expectedColumn(@Nullable Scorer scorer, InputScan scan, Path input) {
		if (scorer != null && scorer.needsExpected() && !scan.carriedColumns().contains(AnswerWindowReader.EXPECTED)) {
			throw new PromptbatchCommand.UsageException("--score " + scorer.id() + " compares answers with an "
					+ "'expected' column or field, and " + input + " has none; add one");
		}
	}
}
