package io.promptbatch.cli;

import io.promptbatch.batch.ApiKeys;
import io.promptbatch.batch.CacheMode;
import io.promptbatch.batch.Endpoints;
import io.promptbatch.batch.RunOutcome;
import io.promptbatch.batch.RunSpec;
import io.promptbatch.batch.fanout.AnswerWindowReader;
import io.promptbatch.batch.output.OutputFormat;
import io.promptbatch.batch.state.OutputLock;
import io.promptbatch.core.chat.ChatRequest;
import io.promptbatch.core.cost.PriceTable;
import io.promptbatch.core.prompt.InputException;
import io.promptbatch.core.prompt.InputFingerprint;
import io.promptbatch.core.prompt.InputScan;
import io.promptbatch.core.prompt.PromptOptions;
import io.promptbatch.core.prompt.PromptTemplate;
import io.promptbatch.core.provider.Provider;
import io.promptbatch.core.score.Scorer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

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
final class RunCommand implements Callable<Integer> {

	@ParentCommand
	PromptbatchCommand parent;

	@Spec
	CommandSpec spec;

	@picocli.CommandLine.Mixin
	StateOptions state;

	@Option(names = "--input", required = true, paramLabel = "FILE", description = "Prompts: .csv (header row, column 'prompt') or .jsonl.")
	Path input;

	@Option(names = "--output", required = true, paramLabel = "FILE", description = "Answers: .jsonl or .csv.")
	Path output;

	@Option(names = "--provider", paramLabel = "NAME", description = "acedata-kimi, moonshot, openai or simulator.")
	@Nullable String provider;

	@Option(names = "--base-url", paramLabel = "URL", description = "OpenAI-style base URL; /chat/completions is appended. Overrides the provider's.")
	@Nullable String baseUrl;

	@Option(names = "--model", paramLabel = "M", description = "Model for records without a 'model' column (default: the provider's).")
	@Nullable String model;

	/**
	 * The most requests in flight a run may have: above the highest concurrency any provider's account tier
	 * grants (Moonshot's top tier: 1,000), and each request in flight holds a connection, a thread's worth of
	 * buffers and 32 rows of the reorder buffer.
	 */
	static final int CONCURRENCY_CEILING = 1024;

	@Option(names = "--concurrency", paramLabel = "N|auto", defaultValue = "16", description = "Requests in flight at most, or 'auto' to adapt to what the provider takes (up to --max-concurrency) (default: ${DEFAULT-VALUE}).")
	String concurrencyText;

	@Option(names = "--max-concurrency", paramLabel = "N", defaultValue = "256", description = "With --concurrency auto: the most requests in flight (default: ${DEFAULT-VALUE}).")
	int maxConcurrency;

	@Option(names = "--rpm", paramLabel = "N", defaultValue = "0", description = "Requests per minute at most, paced evenly across all requests (retries included); 0 for no limit.")
	long rpm;

	@Option(names = "--tpm", paramLabel = "N", defaultValue = "0", description = "Tokens per minute at most: each request reserves its estimated prompt tokens plus --max-tokens, corrected by the reported usage; 0 for no limit.")
	long tpm;

	@Option(names = "--max-retries", paramLabel = "N", defaultValue = "6", description = "Retries of a failed request (429, 5xx, timeouts) (default: ${DEFAULT-VALUE}).")
	int maxRetries;

	@Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "120s", description = "Time allowed for one attempt, e.g. 90s, 2m (default: ${DEFAULT-VALUE}).")
	Duration timeout;

	@Option(names = "--max-outage", paramLabel = "DURATION", defaultValue = "5m", description = "When nearly every request fails (an outage), requests pause and a probe tests the provider; after this long the run stops, resumably (default: ${DEFAULT-VALUE}).")
	Duration maxOutage;

	@Option(names = "--max-row-time", paramLabel = "DURATION", defaultValue = "15m", description = "The longest one row may take, its retries and their waits included; then it fails (default: ${DEFAULT-VALUE}).")
	Duration maxRowTime;

	@Option(names = "--stream", description = "Stream answers (server-sent events): the timeout then covers the wait for the first byte, and only silence longer than --idle-timeout ends a long answer. Rows are the same as without.")
	boolean stream;

	@Option(names = "--idle-timeout", paramLabel = "DURATION", defaultValue = "60s", description = "With --stream: the longest silence allowed between bytes (default: ${DEFAULT-VALUE}).")
	Duration idleTimeout;

	@Option(names = "--max-tokens", paramLabel = "N", description = "Completion token limit per request, sent in the field the provider and model honour (max_completion_tokens for OpenAI, Moonshot, Kimi K2.6 and OpenAI's reasoning models, else max_tokens). An answer longer than the limit stops the run.")
	@Nullable Integer maxTokens;

	@Option(names = "--max-tokens-field", paramLabel = "FIELD", description = "The request field that carries the completion limit, for a server the built-in table does not know: max_tokens or max_completion_tokens.")
	@Nullable String maxTokensField;

	@Option(names = "--temperature", paramLabel = "T", description = "Sampling temperature.")
	@Nullable Double temperature;

	@Option(names = "--system", paramLabel = "TEXT", description = "System message for records without a 'system' column.")
	@Nullable String system;

	@Option(names = "--template", paramLabel = "TEXT", description = "User message with {{column}} variables; then no 'prompt' column is needed.")
	@Nullable String template;

	@Option(names = "--param", paramLabel = "KEY=VALUE", description = "Another request body field, e.g. top_p=0.9 or response_format={\"type\":\"json_object\"}; the value is JSON, or else text. Repeatable; a record's own field wins.")
	Map<String, String> paramTexts = new java.util.LinkedHashMap<>();

	@Option(names = "--output-format", paramLabel = "FORMAT", description = "jsonl, csv or openai-batch (OpenAI Batch API output lines); default: by the output's extension.")
	@Nullable String outputFormat;

	@Option(names = "--no-cache", description = "Send every request, even those an earlier run already answered (the response cache is on by default).")
	boolean noCache;

	@Option(names = "--cache-only", description = "Answer only from the response cache; rows it cannot answer fail without a request (for re-scoring). Needs no API key.")
	boolean cacheOnly;

	@Option(names = "--score", paramLabel = "SCORER", description = "Score each answer against the record's 'expected' value: exact, contains (ignoring case), regex, or json (valid JSON, equal to 'expected' when given). Adds a 'score' column (1/0) and pass rates to the summary.")
	@Nullable String score;

	@Option(names = "--budget-usd", paramLabel = "USD", description = "Spending limit of the run, never exceeded: each request's worst case is reserved before it is sent; needs --max-tokens. Resume with a higher one to continue.")
	java.math.@Nullable BigDecimal budgetUsd;

	@Option(names = "--prices", paramLabel = "FILE", description = "Price file adding to or replacing the bundled table (for cost_usd and --budget-usd).")
	@Nullable Path pricesFile;

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

	@Option(names = "--chunk-size", paramLabel = "N", defaultValue = "100", hidden = true, description = "Rows per commit.")
	int chunkSize;

	private io.promptbatch.core.provider.@Nullable MaxTokensField maxTokensField() {
		try {
			return maxTokensField == null ? null : io.promptbatch.core.provider.MaxTokensField.of(maxTokensField);
		}
		catch (IllegalArgumentException e) {
			throw new PromptbatchCommand.UsageException("--max-tokens-field: " + e.getMessage());
		}
	}

	/** Work on a daemon thread of its own: the input's check and fingerprint run while the job's context starts. */
	private static <T> CompletableFuture<T> inBackground(String name, java.util.concurrent.Callable<T> work) {
		CompletableFuture<T> result = new CompletableFuture<>();
		Thread thread = new Thread(() -> {
			try {
				result.complete(work.call());
			}
			catch (Throwable e) {
				result.completeExceptionally(e);
			}
		}, name);
		thread.setDaemon(true);
		thread.start();
		return result;
	}

	/** A background result, or what its work threw (bad input, a file that cannot be read) as it threw it. */
	private static <T> T scanned(CompletableFuture<T> scanning) throws IOException {
		try {
			return scanning.join();
		}
		catch (java.util.concurrent.CompletionException e) {
			Throwable cause = e.getCause();
			if (cause instanceof IOException io) {
				throw io;
			}
			if (cause instanceof RuntimeException re) {
				throw re;
			}
			if (cause instanceof Error error) {
				throw error;
			}
			throw e;
		}
	}

	@Override
	public Integer call() throws Exception {
		PrintWriter err = spec.commandLine().getErr();
		Map<String, String> env = parent.environment();
		Target target = target(env);
		boolean autoConcurrency = concurrencyText.strip().equalsIgnoreCase("auto");
		int concurrency;
		String concurrencyOption = PromptbatchCommand.origin(spec, autoConcurrency ? "--max-concurrency" : "--concurrency");
		try {
			concurrency = autoConcurrency ? maxConcurrency : Integer.parseInt(concurrencyText.strip());
		}
		catch (NumberFormatException e) {
			throw new PromptbatchCommand.UsageException(concurrencyOption + " takes a number or 'auto', was '"
					+ concurrencyText + "'");
		}
		if (concurrency < 1) {
			throw new PromptbatchCommand.UsageException(concurrencyOption + " must be at least 1, was " + concurrency);
		}
		if (concurrency > CONCURRENCY_CEILING) {
			err.printf("promptbatch: %s %d is above the ceiling of %d requests in flight; using %d%n", concurrencyOption,
					concurrency, CONCURRENCY_CEILING, CONCURRENCY_CEILING);
			concurrency = CONCURRENCY_CEILING;
		}
		OutputFormat format;
		try {
			format = outputFormat != null ? OutputFormat.named(outputFormat) : OutputFormat.of(output);
		}
		catch (IllegalArgumentException e) {
			throw new PromptbatchCommand.UsageException((outputFormat != null ? "--output-format: " : "") + e.getMessage());
		}
		checkOutputLocation();
		OutputGuard.refuseWritingOnto(output, pricesFile == null ? List.of(input) : List.of(input, pricesFile));
		if (noCache && cacheOnly) {
			throw new PromptbatchCommand.UsageException("--no-cache and --cache-only contradict each other; give one");
		}
		Map<String, JsonNode> params = params();
		Scorer scorer;
		try {
			scorer = score == null ? null : Scorer.of(score);
		}
		catch (IllegalArgumentException e) {
			throw new PromptbatchCommand.UsageException("--score: " + e.getMessage());
		}
		if (budgetUsd != null && maxTokens == null) {
			throw new PromptbatchCommand.UsageException("--budget-usd needs --max-tokens: without a completion limit a "
					+ "request's worst case has no bound");
		}
		if (budgetUsd != null && budgetUsd.signum() <= 0) {
			throw new PromptbatchCommand.UsageException("--budget-usd must be more than 0, was " + budgetUsd);
		}
		if (pricesFile != null) {
			PriceTable.bundled().withOverrides(pricesFile);
		}
		if (budgetUsd != null && PriceTable.bundled().price(target.model).isEmpty() && pricesFile == null) {
			throw new PromptbatchCommand.UsageException("--budget-usd: model " + target.model + " has no price; add it "
					+ "with --prices FILE");
		}


		RunSpec.Builder builder = RunSpec.builder(input, output, target.recordedBaseUrl, target.model)
			.modelGiven(model != null)
			.keyVariable(target.keyVariable)
			.system(system)
			.template(template)
			.skipInvalid(skipInvalid)
			.maxTokens(maxTokens)
			.maxTokensField(maxTokensField())
			.temperature(temperature)
			.params(params)
			.retries(maxRetries, timeout)
			.chunkSize(chunkSize)
			.runKey(runKey)
			.budgetUsd(budgetUsd)
			.prices(pricesFile)
			.stream(stream)
			.idleTimeout(idleTimeout)
			.rates(rpm, tpm)
			.outputFormat(format)
			.cache(cacheOnly ? CacheMode.ONLY : noCache ? CacheMode.BYPASS : CacheMode.USE)
			.score(scorer)
			.limits(maxOutage, maxRowTime)
			.report(report);
		if (autoConcurrency) {
			builder.autoConcurrency(concurrency);
		}
		else {
			builder.concurrency(concurrency);
		}
		RunSpec run = builder.build();
		// the whole input is checked before anything is sent; the check runs on a thread of its own while the job's
		// context starts, and the run waits for it before its first request
		PromptOptions options = new PromptOptions(system, template, skipInvalid);
		// one run per output file, whatever its state directory: taken before anything is read or sent
		OutputLock outputLock;
		try {
			outputLock = OutputLock.acquire(output);
		}
		catch (IllegalStateException e) {
			throw new PromptbatchCommand.UsageException(e.getMessage());
		}
		CompletableFuture<InputScan> scanning = inBackground("promptbatch-input-scan",
				() -> skipInvalid ? RejectsFile.scan(input, options, output) : InputScan.of(input, options));
		// what the input is now, recorded with the run so that a resumed run can tell whether it changed
		CompletableFuture<InputFingerprint> fingerprinting = inBackground("promptbatch-input-fingerprint",
				() -> InputFingerprint.of(input));
		InProcessSimulator simulator = null;
		try (outputLock) {
			Endpoints endpoints = Endpoints.IDENTITY;
			if (target.simulator) {
				simulator = InProcessSimulator.start();
				endpoints = simulator.endpoints();
			}
			ApiKeys keys = env::get;
			try (GracefulStop stop = GracefulStop.install();
					JobSession session = JobSession.open(state.stateDir.toAbsolutePath(), keys, endpoints, stop.signal())) {
				InputScan scan = scanned(scanning);
				target.requireModels(input, scan);
				if (scorer != null && scorer.needsExpected()
						&& !scan.carriedColumns().contains(AnswerWindowReader.EXPECTED)) {
					throw new PromptbatchCommand.UsageException("--score " + scorer.id() + " compares answers with an "
							+ "'expected' column or field, and " + input + " has none; add one");
				}
				if (!quiet) {
					err.printf("promptbatch: %d prompts from %s -> %s (%s, model %s, concurrency %s)%n", scan.records(),
							input, output, target.describe, target.model,
							autoConcurrency ? "auto up to " + concurrency : Integer.toString(concurrency));
					if (!scan.assumed().isEmpty()) {
						err.printf("promptbatch: input read as %s%n", String.join(", ", scan.assumed()));
					}
				}
				if (template != null && PromptTemplate.of(template).variables().isEmpty()) {
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
					outcome = session.launcher().run(run, scan.records(), scan.carriedColumns(), scanned(fingerprinting),
							overwrite);
				}
				Summary.print(quiet ? new PrintWriter(java.io.OutputStream.nullOutputStream()) : err, outcome,
						run.output(), state.stateDir, session.progress().adaptiveConcurrency(), target.simulator);
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

	/** The {@code --param} fields: each value is JSON, or else text. */
	private Map<String, JsonNode> params() {
		Map<String, JsonNode> params = new java.util.LinkedHashMap<>();
		paramTexts.forEach((name, text) -> {
			String key = name.strip();
			if (ChatRequest.RESERVED.contains(key)) {
				throw new PromptbatchCommand.UsageException("--param " + key + ": set this with its own option "
						+ "(--model, --max-tokens, --temperature, --stream) or in the input");
			}
			JsonNode value;
			try {
				value = PARAM_JSON.readTree(text);
			}
			catch (JacksonException e) {
				value = null;
			}
			params.put(key, value == null || value.isMissingNode() ? PARAM_JSON.getNodeFactory().stringNode(text) : value);
		});
		return params;
	}

	private static final JsonMapper PARAM_JSON = JsonMapper.builder().build();

	private void checkOutputLocation() {
		Path parentDir = output.toAbsolutePath().getParent();
		if (parentDir == null || !Files.isDirectory(parentDir)) {
			throw new PromptbatchCommand.UsageException(output + ": the output's directory does not exist; create it first");
		}
		if (!Files.isWritable(parentDir) || (Files.exists(output) && !Files.isWritable(output))) {
			throw new PromptbatchCommand.UsageException(output + ": cannot write the output here; check permissions");
		}
		if (Files.isDirectory(output)) {
			throw new PromptbatchCommand.UsageException(output + ": is a directory; --output takes a file name");
		}
	}

	/** Where the requests go, which model they name, and where the key comes from. */
	private Target target(Map<String, String> env) {
		Provider chosen;
		if (provider != null) {
			try {
				chosen = Provider.of(provider);
			}
			catch (IllegalArgumentException e) {
				throw new PromptbatchCommand.UsageException("--provider: " + e.getMessage());
			}
		}
		else if (baseUrl != null) {
			chosen = null;
		}
		else if (Provider.ACEDATA_KIMI.apiKey(env) != null) {
			chosen = Provider.ACEDATA_KIMI;
		}
		else {
			chosen = Provider.SIMULATOR;
			spec.commandLine().getErr().println("promptbatch: no --provider, --base-url or API key given: using the "
					+ "built-in simulator (answers are fake). Set ACEDATA_API_TOKEN to call Kimi on Ace Data Cloud.");
		}
		if (chosen == Provider.SIMULATOR && baseUrl == null) {
			return new Target(Endpoints.SIMULATOR, model != null ? model : chosen.defaultModel(), null, true,
					"built-in simulator");
		}
		String url = baseUrl != null ? baseUrl : chosen.baseUrl();
		// with --base-url alone there is no default model: every record must then name its own (checked by the scan)
		String m = model != null ? model : chosen != null ? chosen.defaultModel() : null;
		String keyVariable = null;
		String generic = env.get(Provider.GENERIC_KEY_VARIABLE);
		if (generic != null && !generic.isBlank()) {
			keyVariable = Provider.GENERIC_KEY_VARIABLE;
		}
		else if (chosen != null && chosen.keyVariable() != null) {
			String own = env.get(chosen.keyVariable());
			if ((own == null || own.isBlank()) && !cacheOnly) {
				throw new PromptbatchCommand.UsageException("no API key for " + chosen.id() + ": set "
						+ chosen.keyVariable() + " (or " + Provider.GENERIC_KEY_VARIABLE + ") in the environment");
			}
			keyVariable = own == null || own.isBlank() ? null : chosen.keyVariable();
		}
		return new Target(url, m != null ? m : Target.EACH_RECORDS_OWN, keyVariable, false,
				chosen != null ? chosen.id() + " " + url : url);
	}

	/**
	 * @param model the model of records that name none, or {@link #EACH_RECORDS_OWN} when there is none and
	 *     every record must name its own
	 */
	private record Target(String recordedBaseUrl, String model, @Nullable String keyVariable, boolean simulator,
			String describe) {

		/** The run's model when it has none: each record's own is sent. */
		static final String EACH_RECORDS_OWN = "(each record's own)";

		/** Refuses an input with a record that names no model when the run has none to give it. */
		void requireModels(Path input, InputScan scan) {
			if (model.equals(EACH_RECORDS_OWN) && scan.withoutModel() > 0) {
				throw new InputException(input, scan.firstWithoutModel(), "this record names no model"
						+ (scan.withoutModel() > 1 ? " (nor do " + (scan.withoutModel() - 1) + " more)" : "")
						+ ", and with --base-url alone the run has none to give it: add a model to every record (the "
						+ "\"model\" column or field, an OpenAI Batch line's body.model), or name one with --model");
			}
		}
	}
}
