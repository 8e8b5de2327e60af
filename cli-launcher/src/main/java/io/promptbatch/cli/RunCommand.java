package io.promptbatch.cli;

import io.promptbatch.batch.ApiKeys;
import io.promptbatch.batch.CacheMode;
import io.promptbatch.batch.Concurrency;
import io.promptbatch.batch.Endpoints;
import io.promptbatch.batch.RunOutcome;
import io.promptbatch.batch.RunSpec;
import io.promptbatch.batch.RunSpec.Throughput;
import io.promptbatch.batch.output.OutputFormat;
import io.promptbatch.batch.partition.PartitionListing;
import io.promptbatch.batch.partition.Partitioning;
import io.promptbatch.batch.state.OutputLock;
import io.promptbatch.core.prompt.InputFingerprint;
import io.promptbatch.core.prompt.InputScan;
import io.promptbatch.core.prompt.PromptOptions;
import io.promptbatch.core.prompt.PromptTemplate;
import io.promptbatch.core.score.Scorer;
import java.io.PrintWriter;
import java.nio.file.Path;
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

	@Mixin
	ResilienceOptions resilience;

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

	@Mixin
	ProgressOptions progress;

	@Option(names = { "-q", "--quiet" }, description = "No progress and no summary; the exit code and <output>.summary.json say how it went.")
	boolean quiet;

	@Option(names = "--partitions", paramLabel = "N", description = "With --state-db: split the input into N record ranges run by 'promptbatch worker' processes (and this one, unless --no-local-worker); one output, in input order.")
	@Nullable Integer partitions;

	@Option(names = "--no-local-worker", description = "With --partitions: this process only sends and watches the partitions, and merges the output; workers run them all.")
	boolean noLocalWorker;

	@Option(names = "--chunk-size", paramLabel = "N", defaultValue = Throughput.CHUNK_SIZE, hidden = true, description = "Rows per commit.")
	int chunkSize;

	@Mixin
	BatchApiOptions batch;

	@Override
	public Integer call() throws Exception {
		PrintWriter err = err();
		Partitioning partitioning = RunChecks.partitioning(partitions, noLocalWorker, state.stateDb, batch.batchApi);
		CacheMode cache = cacheOptions == null ? RunSpec.Accounting.DEFAULTS.cache() : cacheOptions.mode();
		RunTarget target = RunTarget.of(provider, baseUrl, prompts.model, cache == CacheMode.ONLY, parent.environment(),
				err);
		RunSpec.Batching batching = RunChecks.batching(batch, target, cache);
		Concurrency concurrency = RunChecks.concurrency(concurrencyText, maxConcurrency,
				option -> PromptbatchCommand.origin(spec, option), err);
		RunChecks.partitionsReachTarget(partitions, target);
		RunSpec run = runSpec(target, cache, batching, concurrency);
		Path input = prompts.input;
		// the whole input is checked before anything is sent; the check runs on a thread of its own while the job's
		// context starts, and the run waits for it before its first request
		PromptOptions options = prompts.promptOptions(skipInvalid);
		// one run per output file, whatever its state directory: taken before anything is read or sent
		OutputLock outputLock = OutputGuard.lock(output);
		CompletableFuture<InputScan> scanning = Background.start("promptbatch-input-scan",
				() -> skipInvalid ? RejectsFile.scan(input, options, output) : InputScan.of(input, options));
		// what the input is now, recorded with the run so that a resumed run can tell whether it changed
		CompletableFuture<InputFingerprint> fingerprinting = Background.start("promptbatch-input-fingerprint",
				() -> InputFingerprint.of(input));
		try (outputLock; InProcessSimulator simulator = target.simulator() ? InProcessSimulator.start() : null) {
			Endpoints endpoints = simulator != null ? simulator.endpoints() : Endpoints.IDENTITY;
			ApiKeys keys = parent.environment()::get;
			try (GracefulStop stop = GracefulStop.install();
					JobSession session = JobSession.open(state, keys, endpoints, stop.signal(), partitioning)) {
				InputScan scan = Background.join(scanning);
				target.requireModels(input, scan);
				RunChecks.expectedColumn(run.accounting().score(), scan, input);
				announce(err, scan, target, batching, concurrency);
				RunOutcome outcome;
				try (AutoCloseable shown = quiet ? () -> {
				} : ProgressPrinter.start(session.progress(), err, scan.records(), System.console() != null,
						progress.progressInterval)) {
					outcome = (partitions == null ? session.launcher()
							: session.launcher().partitioned(partitions, WorkerCommand.version())).run(run, scan.records(), scan.carriedColumns(), Background.join(fingerprinting),
							overwrite);
				}
				summarise(session, run, outcome, quiet ? new PrintWriter(java.io.OutputStream.nullOutputStream()) : err,
						target);
				stop.exitCode(outcome.exitCode());
				return outcome.exitCode();
			}
		}
	}

	/** The run's settings from the options, each checked against the others. */
	private RunSpec runSpec(RunTarget target, CacheMode cache, RunSpec.Batching batching, Concurrency concurrency) {
		Path input = prompts.input;
		Path pricesFile = prompts.pricesFile;
		OutputFormat format = RunChecks.outputFormat(outputFormat, output);
		OutputGuard.checkLocation(output);
		OutputGuard.refuseWritingOnto(output, pricesFile == null ? List.of(input) : List.of(input, pricesFile));
		Map<String, JsonNode> params = ParamTexts.parse(paramTexts);
		Scorer scorer = RunChecks.scorer(score);
		RunChecks.budget(budgetUsd, prompts.maxTokens, target.model(), pricesFile);
		return RunSpec.builder(input, output, target.recordedBaseUrl(), target.model())
			.modelGiven(prompts.model != null)
			.keyVariable(target.keyVariable())
			.request(new RunSpec.RequestShape(prompts.system, prompts.template, prompts.maxTokens,
					RunChecks.maxTokensField(maxTokensField), temperature, params))
			.resilience(resilience.resilience())
			.throughput(new Throughput(concurrency, rpm, tpm, chunkSize))
			.accounting(new RunSpec.Accounting(budgetUsd, pricesFile, cache, scorer, runKey))
			.skipInvalid(skipInvalid)
			.outputFormat(format)
			.report(report)
			.batching(batching)
			.build();
	}

	/** The run's first lines: what it runs, how the input was read, and what the options make of it. */
	private void announce(PrintWriter err, InputScan scan, RunTarget target, RunSpec.Batching batching,
			Concurrency concurrency) {
		if (!quiet) {
			err.printf("promptbatch: %d prompts from %s -> %s (%s, model %s, %s)%n", scan.records(), prompts.input,
					output, target.describe(), target.model(), batching.enabled()
							? "Batch API, window " + batching.completionWindow() + (batching.noWait() ? ", no wait" : "")
							: "concurrency " + concurrency.describe());
			if (!scan.assumed().isEmpty()) {
				err.printf("promptbatch: input read as %s%n", String.join(", ", scan.assumed()));
			}
		}
		if (prompts.template != null && PromptTemplate.of(prompts.template).variables().isEmpty()) {
			err.println("promptbatch: --template has no {{variable}}: every row sends the same prompt");
		}
		if (scan.rejected() > 0) {
			err.printf("promptbatch: %d invalid records left out, listed with the reason in %s%n", scan.rejected(),
					RejectsFile.pathFor(output));
		}
		err.flush();
	}

	/** The run's summary, its partitions and its page, written to {@code err} (nowhere with {@code --quiet}). */
	private void summarise(JobSession session, RunSpec run, RunOutcome outcome, PrintWriter err, RunTarget target) {
		Summary.print(err, outcome, run.files().output(), state.stateDir, session.progress().adaptiveConcurrency(), target.simulator());
		if (partitions != null) {
			var attempts = session.partitions(outcome.instanceId());
			err.printf("  partitions: %d, run by %d workers; %d taken over from a silent worker, %d handed back by a "
					+ "stopped worker%n", partitions, PartitionListing.workers(attempts).size(),
					PartitionListing.takeovers(attempts), PartitionListing.handedBack(attempts).size());
		}
		if (report) {
			RunReports.writeAtEnd(session, outcome, err);
		}
	}
}
