package io.promptbatch.cli;

import io.promptbatch.batch.ApiKeys;
import io.promptbatch.batch.CacheMode;
import io.promptbatch.batch.Concurrency;
import io.promptbatch.batch.Endpoints;
import io.promptbatch.batch.RunOutcome;
import io.promptbatch.batch.RunSpec;
import io.promptbatch.batch.RunSpec.Resilience;
import io.promptbatch.batch.RunSpec.Throughput;
import io.promptbatch.batch.fanout.AnswerWindowReader;
import io.promptbatch.batch.output.OutputFormat;
import io.promptbatch.batch.state.OutputLock;
import io.promptbatch.core.cost.PriceTable;
import io.promptbatch.core.prompt.InputFingerprint;
import io.promptbatch.core.prompt.InputScan;
import io.promptbatch.core.prompt.PromptOptions;
import io.promptbatch.core.prompt.PromptTemplate;
import io.promptbatch.core.score.Scorer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import tools.jackson.databind.JsonNode;

/** {@code promptbatch run}: runs a file of prompts, or continues the same run after a failure. */
@Command(name = "run", mixinStandardHelpOptions = true, sortOptions = false,
		description = { "Runs every prompt of the input file and writes one answer row per record, in input order.",
				"Running the same command again after a crash, kill or failure continues where it stopped;",
				"a completed run is not run again." },
		footer = { "", "Examples:", "  promptbatch run --input sample-data/prompts.csv --output answers.jsonl",
				"  ACEDATA_API_TOKEN=... promptbatch run --provider acedata-kimi \\",
				"      --model kimi-k2.5 --input prompts.jsonl --output answers.csv \\",
				"      --concurrency 32", "",
				"Ace Data Cloud Kimi models: kimi-k2.5, kimi-k2-thinking, kimi-k2-thinking-turbo, kimi-k2-instruct-0905, "
						+ "kimi-k2-0905-preview, kimi-k2-turbo-preview, kimi-k2-0711-preview (any other name is passed "
						+ "through).",
				"API key: PROMPTBATCH_API_KEY, else ACEDATA_API_TOKEN / MOONSHOT_API_KEY / OPENAI_API_KEY.",
				"Without --provider, --base-url or a key, the run goes to the built-in simulator." })
final class RunCommand extends StateCommand {

	@Mixin
	PromptFileOptions prompts;

	@Option(names = "--output", required = true, paramLabel = "FILE", description = "Answers: .jsonl or .csv.")
	Path output;

	@Option(names = "--provider", paramLabel = "NAME", description = "acedata-kimi, moonshot, openai or simulator.")
	@Nullable String provider;

	@Option(names = "--base-url", paramLabel = "URL", description = "OpenAI-style base URL; /chat/completions is appended. Overrides the provider's.")
	@Nullable String baseUrl;

	@Option(names = "--concurrency", paramLabel = "N|auto", defaultValue = Concurrency.DEFAULT, description = "Requests in flight at most (a row waiting out a backoff or Retry-After keeps its slot), or 'auto' to adapt to what the provider takes (up to --max-concurrency) (default: ${DEFAULT-VALUE}).")
	String concurrencyText;

	@Option(names = "--max-concurrency", paramLabel = "N", defaultValue = Concurrency.DEFAULT_AUTO_MAX, description = "With --concurrency auto: the most requests in flight (default: ${DEFAULT-VALUE}).")
	int maxConcurrency;

	@Option(names = "--rpm", paramLabel = "N", defaultValue = Throughput.RPM, description = "Requests per minute at most, paced evenly across all requests (retries included); 0 for no limit.")
	long rpm;

	@Option(names = "--tpm", paramLabel = "N", defaultValue = Throughput.TPM, description = "Tokens per minute at most: each request reserves its estimated prompt tokens plus --max-tokens, corrected by the reported usage; 0 for no limit.")
	long tpm;

	@Option(names = "--max-retries", paramLabel = "N", defaultValue = Resilience.MAX_RETRIES, description = "Retries of a failed request (429, 5xx, timeouts) (default: ${DEFAULT-VALUE}).")
	int maxRetries;

	@Option(names = "--timeout", paramLabel = "DURATION", defaultValue = Resilience.TIMEOUT, description = "Time allowed for one attempt, e.g. 90s, 2m (default: ${DEFAULT-VALUE}).")
	Duration timeout;

	@Option(names = "--max-outage", paramLabel = "DURATION", defaultValue = Resilience.MAX_OUTAGE, description = "When nearly every request fails (an outage), requests pause and a probe tests the provider; after this long the run stops, resumably (default: ${DEFAULT-VALUE}).")
	Duration maxOutage;

	@Option(names = "--max-row-time", paramLabel = "DURATION", defaultValue = Resilience.MAX_ROW_TIME, description = "The longest one row may take, its retries and their waits included; then it fails (default: ${DEFAULT-VALUE}).")
	Duration maxRowTime;

	@Option(names = "--stream", description = "Stream answers (server-sent events): the timeout then covers the wait for the first byte, and only silence longer than --idle-timeout ends a long answer. Rows are the same as without.")
	boolean stream;

	@Option(names = "--idle-timeout", paramLabel = "DURATION", defaultValue = Resilience.IDLE_TIMEOUT, description = "With --stream: the longest silence allowed between bytes (default: ${DEFAULT-VALUE}).")
	Duration idleTimeout;

	@Option(names = "--max-tokens-field", paramLabel = "FIELD", description = "The request field that carries the completion limit, for a server the built-in table does not know: max_tokens or max_completion_tokens.")
	@Nullable String maxTokensField;

	@Option(names = "--temperature", paramLabel = "T", description = "Sampling temperature.")
	@Nullable Double temperature;

	@Option(names = "--param", paramLabel = "KEY=VALUE", description = "Another request body field, e.g. top_p=0.9 or response_format={\"type\":\"json_object\"}; the value is JSON, or else text. Repeatable; a record's own field wins.")
	Map<String, String> paramTexts = new java.util.LinkedHashMap<>();

	@Option(names = "--output-format", paramLabel = "FORMAT", description = "jsonl, csv or openai-batch (OpenAI Batch API output lines); default: by the output's extension.")
	@Nullable String outputFormat;

	@ArgGroup(exclusive = true)
	@Nullable CacheOptions cacheOptions;

	/** How the response cache is used: at most one of the two. */
	static final class CacheOptions {

		@Option(names = "--no-cache", description = "Send every request, even those an earlier run already answered (the response cache is on by default).")
		boolean noCache;

		@Option(names = "--cache-only", description = "Answer only from the response cache; rows it cannot answer fail without a request (for re-scoring). Needs no API key.")
		boolean cacheOnly;

		CacheMode mode() {
			return cacheOnly ? CacheMode.ONLY : noCache ? CacheMode.BYPASS : RunSpec.Accounting.DEFAULTS.cache();
		}
	}

	@Option(names = "--score", paramLabel = "SCORER", description = "Score each answer against the record's 'expected' value: exact, contains (ignoring case), regex, or json (valid JSON, equal to 'expected' when given). Adds a 'score' column (1/0) and pass rates to the summary.")
	@Nullable String score;

	@Option(names = "--budget-usd", paramLabel = "USD", description = "Spending limit of the run, never exceeded: each request's worst case is reserved before it is sent; needs --max-tokens. Resume with a higher one to continue.")
	java.math.@Nullable BigDecimal budgetUsd;

	@Option(names = "--skip-invalid", description = "Leave out invalid records (and repeated ids), listing them with the reason in <output>.rejects.jsonl, instead of refusing the file.")
	boolean skipInvalid;

	@Option(names = "--report", description = "At the end, write the run's HTML page to <output>.report.html (also: 'promptbatch report').")
	boolean report;

	@Option(names = "--overwrite", description = "Replace an existing output that this run did not write (a file of yours, or another run's output). Continuing a run's own output needs no flag.")
	boolean overwrite;

	@Option(names = "--run-key", paramLabel = "KEY", description = "Makes a new run of the same input and output (e.g. a date for nightly jobs).")
	@Nullable String runKey;

	@Option(names = "--progress-interval", paramLabel = "DURATION", defaultValue = "10s", description = "How often to print a progress line when stderr is not a terminal (default: ${DEFAULT-VALUE}).")
	Duration progressInterval;

	@Option(names = { "-q", "--quiet" }, description = "No progress and no summary; the exit code and <output>.summary.json say how it went.")
	boolean quiet;

	@Option(names = "--partitions", paramLabel = "N", description = "With --state-db: split the input into N record ranges run by 'promptbatch worker' processes (and this one, unless --no-local-worker); one output, in input order.")
	@Nullable Integer partitions;

	@Option(names = "--no-local-worker", description = "With --partitions: this process only sends and watches the partitions, and merges the output; workers run them all.")
	boolean noLocalWorker;

	@Option(names = "--chunk-size", paramLabel = "N", defaultValue = Throughput.CHUNK_SIZE, hidden = true, description = "Rows per commit.")
	int chunkSize;

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

	/** The Batch API settings, checked against the target and the other options. */
	private RunSpec.Batching batching(RunTarget target, CacheMode cache) {
		if (!batchApi) {
			if (noWait) {
				throw new PromptbatchCommand.UsageException("--no-wait submits batches: it needs --batch-api");
			}
			return RunSpec.Batching.OFF;
		}
		if (io.promptbatch.core.provider.BatchLimits.at(target.recordedBaseUrl()).isEmpty()) {
			throw new PromptbatchCommand.UsageException("--batch-api: "
					+ io.promptbatch.core.provider.BatchLimits.noBatchApi(target.recordedBaseUrl()));
		}
		if (cache == CacheMode.ONLY) {
			throw new PromptbatchCommand.UsageException("--batch-api sends what the cache does not hold, and --cache-only "
					+ "sends nothing: give one of them");
		}
		if (noWait && target.simulator()) {
			throw new PromptbatchCommand.UsageException("--no-wait leaves the batches running, and the built-in "
					+ "simulator ends with this command: start 'promptbatch simulator' and pass its --base-url");
		}
		if (!batchFallback.equals("none") && !batchFallback.equals("live")) {
			throw new PromptbatchCommand.UsageException("--batch-fallback takes none or live, was '" + batchFallback + "'");
		}
		try {
			return new RunSpec.Batching(true, completionWindow.strip(), noWait, batchFallback.equals("live"), batchMaxPoll,
					batchMaxBytes, batchMaxLines);
		}
		catch (IllegalArgumentException e) {
			throw new PromptbatchCommand.UsageException("--completion-window: " + e.getMessage());
		}
	}

	private io.promptbatch.core.provider.@Nullable MaxTokensField maxTokensField() {
		try {
			return maxTokensField == null ? null : io.promptbatch.core.provider.MaxTokensField.of(maxTokensField);
		}
		catch (IllegalArgumentException e) {
			throw new PromptbatchCommand.UsageException("--max-tokens-field: " + e.getMessage());
		}
	}

	@Override
	public Integer call() throws Exception {
		PrintWriter err = err();
		io.promptbatch.batch.partition.Partitioning partitioning = partitioning();
		Map<String, String> env = parent.environment();
		Path input = prompts.input;
		Path pricesFile = prompts.pricesFile;
		CacheMode cache = cacheOptions == null ? RunSpec.Accounting.DEFAULTS.cache() : cacheOptions.mode();
		RunTarget target = RunTarget.of(provider, baseUrl, prompts.model, cache == CacheMode.ONLY, env, err);
		RunSpec.Batching batching = batching(target, cache);
		Concurrency concurrency = concurrency(err);
		if (partitions != null && target.simulator()) {
			throw new PromptbatchCommand.UsageException("--partitions needs --base-url (or --provider): the built-in "
					+ "simulator runs inside this process, where workers cannot reach it; start 'promptbatch simulator' and "
					+ "give its URL");
		}
		OutputFormat format;
		try {
			format = outputFormat != null ? OutputFormat.named(outputFormat) : OutputFormat.of(output);
		}
		catch (IllegalArgumentException e) {
			throw new PromptbatchCommand.UsageException((outputFormat != null ? "--output-format: " : "") + e.getMessage());
		}
		OutputGuard.checkLocation(output);
		OutputGuard.refuseWritingOnto(output, pricesFile == null ? List.of(input) : List.of(input, pricesFile));
		Map<String, JsonNode> params = ParamTexts.parse(paramTexts);
		Scorer scorer;
		try {
			scorer = score == null ? null : Scorer.of(score);
		}
		catch (IllegalArgumentException e) {
			throw new PromptbatchCommand.UsageException("--score: " + e.getMessage());
		}
		if (budgetUsd != null && prompts.maxTokens == null) {
			throw new PromptbatchCommand.UsageException("--budget-usd needs --max-tokens: without a completion limit a "
					+ "request's worst case has no bound");
		}
		if (pricesFile != null) {
			PriceTable.bundled().withOverrides(pricesFile);
		}
		if (budgetUsd != null && PriceTable.bundled().price(target.model()).isEmpty() && pricesFile == null) {
			throw new PromptbatchCommand.UsageException("--budget-usd: model " + target.model() + " has no price; add it "
					+ "with --prices FILE");
		}
		RunSpec run = RunSpec.builder(input, output, target.recordedBaseUrl(), target.model())
			.modelGiven(prompts.model != null)
			.keyVariable(target.keyVariable())
			.request(new RunSpec.RequestShape(prompts.system, prompts.template, prompts.maxTokens, maxTokensField(),
					temperature, params))
			.resilience(new Resilience(maxRetries, timeout, stream, idleTimeout, maxOutage, maxRowTime))
			.throughput(new Throughput(concurrency, rpm, tpm, chunkSize))
			.accounting(new RunSpec.Accounting(budgetUsd, pricesFile, cache, scorer, runKey))
			.skipInvalid(skipInvalid)
			.outputFormat(format)
			.report(report)
			.batching(batching)
			.build();
		// the whole input is checked before anything is sent; the check runs on a thread of its own while the job's
		// context starts, and the run waits for it before its first request
		PromptOptions options = prompts.promptOptions(skipInvalid);
		// one run per output file, whatever its state directory: taken before anything is read or sent
		OutputLock outputLock;
		try {
			outputLock = OutputLock.acquire(output);
		}
		catch (IllegalStateException e) {
			throw new PromptbatchCommand.UsageException(e.getMessage());
		}
		CompletableFuture<InputScan> scanning = Background.start("promptbatch-input-scan",
				() -> skipInvalid ? RejectsFile.scan(input, options, output) : InputScan.of(input, options));
		// what the input is now, recorded with the run so that a resumed run can tell whether it changed
		CompletableFuture<InputFingerprint> fingerprinting = Background.start("promptbatch-input-fingerprint",
				() -> InputFingerprint.of(input));
		InProcessSimulator simulator = null;
		try (outputLock) {
			Endpoints endpoints = Endpoints.IDENTITY;
			if (target.simulator()) {
				simulator = InProcessSimulator.start();
				endpoints = simulator.endpoints();
			}
			ApiKeys keys = env::get;
			try (GracefulStop stop = GracefulStop.install();
					JobSession session = JobSession.open(state, keys, endpoints, stop.signal(), partitioning)) {
				InputScan scan = Background.join(scanning);
				target.requireModels(input, scan);
				if (scorer != null && scorer.needsExpected()
						&& !scan.carriedColumns().contains(AnswerWindowReader.EXPECTED)) {
					throw new PromptbatchCommand.UsageException("--score " + scorer.id() + " compares answers with an "
							+ "'expected' column or field, and " + input + " has none; add one");
				}
				if (!quiet) {
					err.printf("promptbatch: %d prompts from %s -> %s (%s, model %s, %s)%n", scan.records(),
							input, output, target.describe(), target.model(), batching.enabled()
									? "Batch API, window " + batching.completionWindow() + (noWait ? ", no wait" : "")
									: "concurrency " + concurrency.describe());
					if (!scan.assumed().isEmpty()) {
						err.printf("promptbatch: input read as %s%n", String.join(", ", scan.assumed()));
					}
				}
				if (prompts.template != null && PromptTemplate.of(prompts.template).variables().isEmpty()) {
					err.println("promptbatch: --template has no {{variable}}: every row sends the same prompt");
				}
				if (scan.rejected() > 0) {
					err.printf("promptbatch: %d invalid records left out, listed with the reason in %s%n",
							scan.rejected(), RejectsFile.pathFor(output));
				}
				err.flush();
				RunOutcome outcome;
				try (AutoCloseable progress = quiet ? () -> {
				} : ProgressPrinter.start(session.progress(), err, scan.records(), System.console() != null,
						progressInterval)) {
					outcome = (partitions == null ? session.launcher()
							: session.launcher().partitioned(partitions, WorkerCommand.version())).run(run, scan.records(), scan.carriedColumns(), Background.join(fingerprinting),
							overwrite);
				}
				Summary.print(quiet ? new PrintWriter(java.io.OutputStream.nullOutputStream()) : err, outcome,
						run.files().output(), state.stateDir, session.progress().adaptiveConcurrency(), target.simulator());
				if (partitions != null && !quiet) {
					var attempts = session.partitions(outcome.instanceId());
					err.printf("  partitions: %d, run by %d workers; %d taken over from a silent worker, %d handed back by a "
							+ "stopped worker%n", partitions, io.promptbatch.batch.partition.PartitionListing.workers(attempts).size(),
							io.promptbatch.batch.partition.PartitionListing.takeovers(attempts),
							io.promptbatch.batch.partition.PartitionListing.handedBack(attempts).size());
				}
				if (report) {
					writeReport(session, outcome, quiet ? new PrintWriter(java.io.OutputStream.nullOutputStream()) : err);
				}
				stop.exitCode(outcome.exitCode());
				return outcome.exitCode();
			}
		}
		finally {
			if (simulator != null) {
				simulator.close();
			}
		}
	}

	/** What this process does with partitions: with {@code --partitions}, runs one at a time unless told not to. */
	private io.promptbatch.batch.partition.Partitioning partitioning() {
		if (partitions == null) {
			if (noLocalWorker) {
				throw new PromptbatchCommand.UsageException("--no-local-worker needs --partitions N");
			}
			return io.promptbatch.batch.partition.Partitioning.NONE;
		}
		if (state.stateDb == null || state.stateDb.isBlank()) {
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
		return new io.promptbatch.batch.partition.Partitioning(noLocalWorker ? 0 : 1, 0, WorkerCommand.version());
	}

	static void writeReport(JobSession session, RunOutcome outcome, PrintWriter err) {
		try {
			var run = session.launcher().run(outcome.instanceId());
			if (run.isPresent()) {
				err.printf("  report: %s%n", RunReports.write(session, run.get(), null));
			}
		}
		catch (java.io.IOException | RuntimeException e) {
			err.printf("  report: could not be written (%s); try 'promptbatch report --output %s'%n", e.getMessage(),
					outcome.output());
		}
		err.flush();
	}

	/**
	 * {@code --concurrency} (a number, or {@code auto} up to {@code --max-concurrency}), capped at
	 * {@link Concurrency#CEILING} with a warning.
	 */
	private Concurrency concurrency(PrintWriter err) {
		boolean auto = concurrencyText.strip().equalsIgnoreCase("auto");
		String option = PromptbatchCommand.origin(spec, auto ? "--max-concurrency" : "--concurrency");
		int n;
		try {
			n = auto ? maxConcurrency : Integer.parseInt(concurrencyText.strip());
		}
		catch (NumberFormatException e) {
			throw new PromptbatchCommand.UsageException(option + " takes a number or 'auto', was '" + concurrencyText
					+ "'");
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

}
