package io.promptbatch.batch;

import io.promptbatch.batch.output.OutputFormat;
import io.promptbatch.core.prompt.InputFingerprint;
import io.promptbatch.core.provider.MaxTokensField;
import io.promptbatch.core.score.Scorer;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.batch.core.job.parameters.JobParameters;
import org.springframework.batch.core.job.parameters.JobParametersBuilder;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The job parameters of a run. Identifying parameters are those that change the answers (files,
 * server, model, prompts, sampling and other body fields, record range, run key, output format, cache
 * mode, scorer): the same command again is the same job
 * instance, so it resumes. Concurrency, retries, timeout, chunk size, streaming and the field that carries the
 * cap ({@code --max-tokens-field}) may change between attempts.
 * The API key is never a parameter; only the name of its variable is.
 */
public final class RunParameters {

	public static final String INPUT = "input";
	public static final String OUTPUT = "output";
	public static final String BASE_URL = "base.url";
	public static final String MODEL = "model";
	public static final String SYSTEM = "system";
	public static final String TEMPLATE = "template";
	public static final String SKIP_INVALID = "skip.invalid";
	public static final String MAX_TOKENS = "max.tokens";
	public static final String MAX_TOKENS_FIELD = "max.tokens.field";
	public static final String TEMPERATURE = "temperature";
	public static final String FROM = "range.from";
	public static final String TO = "range.to";
	public static final String RUN_KEY = "run.key";
	public static final String KEY_VARIABLE = "key.variable";
	public static final String CONCURRENCY = "concurrency";
	public static final String MAX_RETRIES = "max.retries";
	public static final String TIMEOUT_MS = "timeout.ms";
	public static final String CHUNK_SIZE = "chunk.size";
	public static final String TOTAL = "records.total";
	public static final String COLUMNS = "columns";
	public static final String BUDGET_USD = "budget.usd";
	public static final String PRICES = "prices";
	public static final String STREAM = "stream";
	public static final String RPM = "rpm";
	public static final String AUTO_CONCURRENCY = "concurrency.auto";
	public static final String TPM = "tpm";
	public static final String IDLE_TIMEOUT_MS = "idle.timeout.ms";
	public static final String MODEL_GIVEN = "model.given";
	public static final String PARAMS = "params";
	public static final String OUTPUT_FORMAT = "output.format";
	public static final String CACHE = "cache";
	public static final String SCORE = "score";
	public static final String MAX_OUTAGE_MS = "max.outage.ms";
	public static final String MAX_ROW_TIME_MS = "max.row.time.ms";
	public static final String INPUT_SHA256 = "input.sha256";
	public static final String INPUT_SIZE = "input.size";
	public static final String INPUT_MODIFIED = "input.modified";
	public static final String REPORT = "report";
	public static final String BATCH_API = "batch.api";
	public static final String COMPLETION_WINDOW = "batch.completion.window";
	public static final String NO_WAIT = "batch.no.wait";
	public static final String BATCH_FALLBACK_LIVE = "batch.fallback.live";
	public static final String BATCH_MAX_POLL_MS = "batch.max.poll.ms";
	public static final String BATCH_MAX_BYTES = "batch.max.bytes";
	public static final String BATCH_MAX_LINES = "batch.max.lines";

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private RunParameters() {
	}

	/**
	 * @param total the records in the input's range, from the scan before the run
	 * @param columns the carried input columns, from the same scan
	 * @param input the input file as the run read it: its content identifies the run, so that a changed
	 *     file is never resumed on the wrong rows
	 */
	public static JobParameters of(RunSpec spec, long total, List<String> columns, InputFingerprint input) {
		JobParametersBuilder b = new JobParametersBuilder()
			.addString(INPUT_SHA256, input.sha256())
			.addLong(INPUT_SIZE, input.size(), false)
			.addLong(INPUT_MODIFIED, input.modified(), false)
			.addLong(TOTAL, total, false)
			.addString(COLUMNS, String.join("\u001f", columns), false);
		put(b, spec.files());
		put(b, spec.target());
		put(b, spec.request());
		put(b, spec.resilience());
		put(b, spec.throughput());
		put(b, spec.accounting());
		put(b, spec.batching());
		return b.toJobParameters();
	}

	/** The spec a job execution was started with (for {@code resume}). */
	public static RunSpec toSpec(JobParameters p) {
		return new RunSpec(files(p), target(p), request(p), resilience(p), throughput(p), accounting(p), batching(p));
	}

	private static void put(JobParametersBuilder b, RunSpec.Batching batching) {
		if (!batching.enabled()) {
			// a live run's parameters stay as they were before Batch APIs
			return;
		}
		b.addString(BATCH_API, "true");
		b.addString(COMPLETION_WINDOW, batching.completionWindow(), false);
		b.addString(NO_WAIT, Boolean.toString(batching.noWait()), false);
		b.addString(BATCH_FALLBACK_LIVE, Boolean.toString(batching.fallbackLive()), false);
		b.addLong(BATCH_MAX_POLL_MS, batching.maxPoll().toMillis(), false);
		b.addLong(BATCH_MAX_BYTES, batching.maxBytes(), false);
		b.addLong(BATCH_MAX_LINES, batching.maxLines(), false);
	}

	private static RunSpec.Batching batching(JobParameters p) {
		if (!flag(p, BATCH_API)) {
			return RunSpec.Batching.OFF;
		}
		RunSpec.Batching off = RunSpec.Batching.OFF;
		String window = p.getString(COMPLETION_WINDOW);
		return new RunSpec.Batching(true, window == null ? off.completionWindow() : window, flag(p, NO_WAIT),
				flag(p, BATCH_FALLBACK_LIVE), millisOr(p, BATCH_MAX_POLL_MS, off.maxPoll()), longOr(p, BATCH_MAX_BYTES, 0),
				longOr(p, BATCH_MAX_LINES, 0));
	}

	// each group of settings is mapped both ways in one place; a parameter an older run did not record reads as
	// the group's default

	private static void put(JobParametersBuilder b, RunSpec.Files files) {
		b.addString(INPUT, files.input().toString()).addString(OUTPUT, files.output().toString());
		b.addLong(FROM, files.from()).addLong(TO, files.to());
		if (files.format() != OutputFormat.forExtension(files.output())) {
			b.addString(OUTPUT_FORMAT, files.format().id());
		}
		if (files.skipInvalid()) {
			b.addString(SKIP_INVALID, "true");
		}
		b.addString(REPORT, Boolean.toString(files.report()), false);
	}

	private static RunSpec.Files files(JobParameters p) {
		Path output = Path.of(required(p, OUTPUT));
		String format = p.getString(OUTPUT_FORMAT);
		return new RunSpec.Files(Path.of(required(p, INPUT)), output,
				format == null ? OutputFormat.of(output) : OutputFormat.named(format), longOr(p, FROM, 0),
				longOr(p, TO, Long.MAX_VALUE), flag(p, SKIP_INVALID), flag(p, REPORT));
	}

	private static void put(JobParametersBuilder b, RunSpec.Target target) {
		b.addString(BASE_URL, target.baseUrl()).addString(MODEL, target.model());
		if (target.modelGiven()) {
			b.addString(MODEL_GIVEN, "true");
		}
		if (target.keyVariable() != null) {
			b.addString(KEY_VARIABLE, target.keyVariable(), false);
		}
	}

	private static RunSpec.Target target(JobParameters p) {
		return new RunSpec.Target(required(p, BASE_URL), required(p, MODEL), flag(p, MODEL_GIVEN),
				p.getString(KEY_VARIABLE));
	}

	private static void put(JobParametersBuilder b, RunSpec.RequestShape request) {
		if (request.system() != null) {
			b.addString(SYSTEM, request.system());
		}
		if (request.template() != null) {
			b.addString(TEMPLATE, request.template());
		}
		if (request.maxTokens() != null) {
			b.addLong(MAX_TOKENS, request.maxTokens().longValue());
		}
		// which field carries the cap is how the cap is spelt, not what is asked (like --stream): the same command
		// with another field continues the run, so the rows already answered are not paid again
		if (request.maxTokensField() != null) {
			b.addString(MAX_TOKENS_FIELD, request.maxTokensField().wireName(), false);
		}
		if (request.temperature() != null) {
			b.addDouble(TEMPERATURE, request.temperature());
		}
		if (!request.params().isEmpty()) {
			ObjectNode params = JSON.createObjectNode();
			request.params().forEach(params::set);
			b.addString(PARAMS, JSON.writeValueAsString(params));
		}
	}

	private static RunSpec.RequestShape request(JobParameters p) {
		Long maxTokens = p.getLong(MAX_TOKENS);
		String field = p.getString(MAX_TOKENS_FIELD);
		return new RunSpec.RequestShape(p.getString(SYSTEM), p.getString(TEMPLATE),
				maxTokens == null ? null : maxTokens.intValue(), field == null ? null : MaxTokensField.of(field),
				p.getDouble(TEMPERATURE), params(p.getString(PARAMS)));
	}

	private static void put(JobParametersBuilder b, RunSpec.Resilience resilience) {
		b.addLong(MAX_RETRIES, (long) resilience.maxRetries(), false);
		b.addLong(TIMEOUT_MS, resilience.timeout().toMillis(), false);
		b.addString(STREAM, Boolean.toString(resilience.stream()), false);
		b.addLong(IDLE_TIMEOUT_MS, resilience.idleTimeout().toMillis(), false);
		b.addLong(MAX_OUTAGE_MS, resilience.maxOutage().toMillis(), false);
		b.addLong(MAX_ROW_TIME_MS, resilience.maxRowTime().toMillis(), false);
	}

	private static RunSpec.Resilience resilience(JobParameters p) {
		RunSpec.Resilience d = RunSpec.Resilience.DEFAULTS;
		return new RunSpec.Resilience((int) longOr(p, MAX_RETRIES, d.maxRetries()), millisOr(p, TIMEOUT_MS, d.timeout()),
				flag(p, STREAM), millisOr(p, IDLE_TIMEOUT_MS, d.idleTimeout()), millisOr(p, MAX_OUTAGE_MS, d.maxOutage()),
				millisOr(p, MAX_ROW_TIME_MS, d.maxRowTime()));
	}

	private static void put(JobParametersBuilder b, RunSpec.Throughput throughput) {
		b.addLong(CONCURRENCY, (long) throughput.concurrency().max(), false);
		b.addString(AUTO_CONCURRENCY, Boolean.toString(throughput.concurrency().auto()), false);
		b.addLong(RPM, throughput.rpm(), false);
		b.addLong(TPM, throughput.tpm(), false);
		b.addLong(CHUNK_SIZE, (long) throughput.chunkSize(), false);
	}

	private static RunSpec.Throughput throughput(JobParameters p) {
		RunSpec.Throughput d = RunSpec.Throughput.DEFAULTS;
		return new RunSpec.Throughput(new Concurrency((int) longOr(p, CONCURRENCY, d.concurrency().max()),
				flag(p, AUTO_CONCURRENCY)), longOr(p, RPM, d.rpm()), longOr(p, TPM, d.tpm()),
				(int) longOr(p, CHUNK_SIZE, d.chunkSize()));
	}

	private static void put(JobParametersBuilder b, RunSpec.Accounting accounting) {
		if (accounting.budgetUsd() != null) {
			b.addString(BUDGET_USD, accounting.budgetUsd().toPlainString(), false);
		}
		if (accounting.prices() != null) {
			b.addString(PRICES, accounting.prices().toAbsolutePath().toString(), false);
		}
		// the cache mode and the scorer change what the rows say, so a change makes another run
		if (accounting.cache() != RunSpec.Accounting.DEFAULTS.cache()) {
			b.addString(CACHE, accounting.cache().id());
		}
		if (accounting.score() != null) {
			b.addString(SCORE, accounting.score().id());
		}
		if (accounting.runKey() != null) {
			b.addString(RUN_KEY, accounting.runKey());
		}
	}

	private static RunSpec.Accounting accounting(JobParameters p) {
		String budget = p.getString(BUDGET_USD);
		String prices = p.getString(PRICES);
		String cache = p.getString(CACHE);
		String score = p.getString(SCORE);
		return new RunSpec.Accounting(budget == null ? null : new BigDecimal(budget),
				prices == null ? null : Path.of(prices), cache == null ? RunSpec.Accounting.DEFAULTS.cache() : CacheMode.of(cache),
				score == null ? null : Scorer.of(score), p.getString(RUN_KEY));
	}

	/** The input file as the run read it, or null for a run recorded before inputs were fingerprinted. */
	public static @Nullable InputFingerprint input(JobParameters p) {
		String sha256 = p.getString(INPUT_SHA256);
		Long size = p.getLong(INPUT_SIZE);
		Long modified = p.getLong(INPUT_MODIFIED);
		return sha256 == null || size == null || modified == null ? null : new InputFingerprint(size, modified, sha256);
	}

	private static Map<String, JsonNode> params(@Nullable String json) {
		Map<String, JsonNode> params = new LinkedHashMap<>();
		if (json != null) {
			JSON.readTree(json).properties().forEach(e -> params.put(e.getKey(), e.getValue()));
		}
		return params;
	}

	public static List<String> columns(@Nullable String joined) {
		return joined == null || joined.isEmpty() ? List.of() : List.of(joined.split("\u001f", -1));
	}

	private static String required(JobParameters p, String name) {
		String value = p.getString(name);
		if (value == null) {
			throw new IllegalStateException("job parameter '" + name + "' is missing");
		}
		return value;
	}

	private static long longOr(JobParameters p, String name, long fallback) {
		Long value = p.getLong(name);
		return value == null ? fallback : value;
	}

	private static Duration millisOr(JobParameters p, String name, Duration fallback) {
		Long value = p.getLong(name);
		return value == null ? fallback : Duration.ofMillis(value);
	}

	private static boolean flag(JobParameters p, String name) {
		return "true".equals(p.getString(name));
	}
}
