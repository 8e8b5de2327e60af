package io.promptbatch.batch;

import io.promptbatch.batch.output.OutputFormat;
import io.promptbatch.core.prompt.InputFingerprint;
import io.promptbatch.core.provider.MaxTokensField;
import io.promptbatch.core.score.Scorer;
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
			.addString(INPUT, spec.input().toString())
			.addString(INPUT_SHA256, input.sha256())
			.addLong(INPUT_SIZE, input.size(), false)
			.addLong(INPUT_MODIFIED, input.modified(), false)
			.addString(OUTPUT, spec.output().toString())
			.addString(BASE_URL, spec.baseUrl())
			.addString(MODEL, spec.model())
			.addLong(FROM, spec.from())
			.addLong(TO, spec.to())
			.addLong(CONCURRENCY, (long) spec.concurrency(), false)
			.addLong(MAX_RETRIES, (long) spec.maxRetries(), false)
			.addLong(TIMEOUT_MS, spec.timeout().toMillis(), false)
			.addLong(CHUNK_SIZE, (long) spec.chunkSize(), false)
			.addLong(TOTAL, total, false)
			.addString(COLUMNS, String.join("\u001f", columns), false);
		if (spec.system() != null) {
			b.addString(SYSTEM, spec.system());
		}
		if (spec.template() != null) {
			b.addString(TEMPLATE, spec.template());
		}
		if (spec.skipInvalid()) {
			b.addString(SKIP_INVALID, "true");
		}
		if (spec.maxTokens() != null) {
			b.addLong(MAX_TOKENS, spec.maxTokens().longValue());
		}
		if (spec.temperature() != null) {
			b.addDouble(TEMPERATURE, spec.temperature());
		}
		// which field carries the cap is how the cap is spelt, not what is asked (like --stream): the same command
		// with another field continues the run, so the rows already answered are not paid again
		if (spec.maxTokensField() != null) {
			b.addString(MAX_TOKENS_FIELD, spec.maxTokensField().wireName(), false);
		}
		if (spec.runKey() != null) {
			b.addString(RUN_KEY, spec.runKey());
		}
		if (spec.modelGiven()) {
			b.addString(MODEL_GIVEN, "true");
		}
		if (!spec.params().isEmpty()) {
			ObjectNode params = JSON.createObjectNode();
			spec.params().forEach(params::set);
			b.addString(PARAMS, JSON.writeValueAsString(params));
		}
		if (spec.outputFormat() != OutputFormat.forExtension(spec.output())) {
			b.addString(OUTPUT_FORMAT, spec.outputFormat().id());
		}
		// the cache mode and the scorer change what the rows say, so a change makes another run
		if (spec.cache() != CacheMode.USE) {
			b.addString(CACHE, spec.cache().id());
		}
		if (spec.score() != null) {
			b.addString(SCORE, spec.score().id());
		}
		b.addString(STREAM, Boolean.toString(spec.stream()), false);
		b.addLong(RPM, spec.rpm(), false);
		b.addString(AUTO_CONCURRENCY, Boolean.toString(spec.autoConcurrency()), false);
		b.addLong(TPM, spec.tpm(), false);
		b.addLong(IDLE_TIMEOUT_MS, spec.idleTimeout().toMillis(), false);
		b.addLong(MAX_OUTAGE_MS, spec.maxOutage().toMillis(), false);
		b.addLong(MAX_ROW_TIME_MS, spec.maxRowTime().toMillis(), false);
		b.addString(REPORT, Boolean.toString(spec.report()), false);
		if (spec.budgetUsd() != null) {
			b.addString(BUDGET_USD, spec.budgetUsd().toPlainString(), false);
		}
		if (spec.prices() != null) {
			b.addString(PRICES, spec.prices().toAbsolutePath().toString(), false);
		}
		if (spec.keyVariable() != null) {
			b.addString(KEY_VARIABLE, spec.keyVariable(), false);
		}
		return b.toJobParameters();
	}

	/** The spec a job execution was started with (for {@code resume}). */
	public static RunSpec toSpec(JobParameters p) {
		Long maxTokens = p.getLong(MAX_TOKENS);
		Path output = Path.of(required(p, OUTPUT));
		RunSpec.Builder b = RunSpec.builder(Path.of(required(p, INPUT)), output, required(p, BASE_URL), required(p, MODEL))
			.modelGiven("true".equals(p.getString(MODEL_GIVEN)))
			.keyVariable(p.getString(KEY_VARIABLE))
			.system(p.getString(SYSTEM))
			.template(p.getString(TEMPLATE))
			.skipInvalid("true".equals(p.getString(SKIP_INVALID)))
			.maxTokens(maxTokens == null ? null : maxTokens.intValue())
			.maxTokensField(p.getString(MAX_TOKENS_FIELD) == null ? null : MaxTokensField.of(p.getString(MAX_TOKENS_FIELD)))
			.temperature(p.getDouble(TEMPERATURE))
			.params(params(p.getString(PARAMS)))
			.retries(longOr(p, MAX_RETRIES, 6).intValue(), Duration.ofMillis(longOr(p, TIMEOUT_MS, 120_000)))
			.chunkSize(longOr(p, CHUNK_SIZE, 100).intValue())
			.range(longOr(p, FROM, 0), longOr(p, TO, Long.MAX_VALUE))
			.runKey(p.getString(RUN_KEY))
			.budgetUsd(p.getString(BUDGET_USD) == null ? null : new java.math.BigDecimal(p.getString(BUDGET_USD)))
			.prices(p.getString(PRICES) == null ? null : Path.of(p.getString(PRICES)))
			.stream("true".equals(p.getString(STREAM)))
			.idleTimeout(Duration.ofMillis(longOr(p, IDLE_TIMEOUT_MS, 60_000)))
			.rates(longOr(p, RPM, 0), longOr(p, TPM, 0))
			.outputFormat(p.getString(OUTPUT_FORMAT) == null ? OutputFormat.of(output)
					: OutputFormat.named(p.getString(OUTPUT_FORMAT)))
			.cache(p.getString(CACHE) == null ? CacheMode.USE : CacheMode.of(p.getString(CACHE)))
			.score(p.getString(SCORE) == null ? null : Scorer.of(p.getString(SCORE)))
			.limits(Duration.ofMillis(longOr(p, MAX_OUTAGE_MS, 300_000)), Duration.ofMillis(longOr(p, MAX_ROW_TIME_MS, 900_000)))
			.report("true".equals(p.getString(REPORT)));
		int concurrency = longOr(p, CONCURRENCY, 16).intValue();
		if ("true".equals(p.getString(AUTO_CONCURRENCY))) {
			b.autoConcurrency(concurrency);
		}
		else {
			b.concurrency(concurrency);
		}
		return b.build();
	}

	/** The input file as the run read it, or null for a run recorded before inputs were fingerprinted. */
	public static @Nullable InputFingerprint input(JobParameters p) {
		String sha256 = p.getString(INPUT_SHA256);
		Long size = p.getLong(INPUT_SIZE);
		Long modified = p.getLong(INPUT_MODIFIED);
		return sha256 == null || size == null || modified == null ? null : new InputFingerprint(size, modified, sha256);
	}

	/**
	 * The settings that tell two runs apart and differ between them, as the user would name them:
	 * "--temperature: 0.2 then, 0.7 now"; an input's content as what changed in the file.
	 */
	public static List<String> differences(JobParameters then, JobParameters now) {
		List<String> differences = new java.util.ArrayList<>();
		java.util.Set<String> names = new java.util.TreeSet<>();
		then.getIdentifyingParameters().forEach(parameter -> names.add(parameter.name()));
		now.getIdentifyingParameters().forEach(parameter -> names.add(parameter.name()));
		for (String name : names) {
			Object a = valueOf(then, name);
			Object b = valueOf(now, name);
			if (java.util.Objects.equals(a, b)) {
				continue;
			}
			if (name.equals(INPUT_SHA256)) {
				InputFingerprint before = input(then);
				InputFingerprint after = input(now);
				differences.add("the input's content: " + (before == null || after == null ? "not recorded then"
						: before.changesTo(after)));
			}
			else {
				differences.add(SETTING_NAMES.getOrDefault(name, name) + ": " + shown(a) + " then, " + shown(b) + " now");
			}
		}
		return differences;
	}

	private static final Map<String, String> SETTING_NAMES = Map.ofEntries(Map.entry(INPUT, "--input"),
			Map.entry(OUTPUT, "--output"), Map.entry(BASE_URL, "--base-url"), Map.entry(MODEL, "--model"),
			Map.entry(MODEL_GIVEN, "--model given"), Map.entry(SYSTEM, "--system"), Map.entry(TEMPLATE, "--template"),
			Map.entry(SKIP_INVALID, "--skip-invalid"), Map.entry(MAX_TOKENS, "--max-tokens"),
			Map.entry(TEMPERATURE, "--temperature"), Map.entry(PARAMS, "--param"), Map.entry(RUN_KEY, "--run-key"),
			Map.entry(OUTPUT_FORMAT, "--output-format"), Map.entry(CACHE, "--no-cache/--cache-only"),
			Map.entry(SCORE, "--score"), Map.entry(FROM, "first record"), Map.entry(TO, "end record"));

	private static @Nullable Object valueOf(JobParameters p, String name) {
		var parameter = p.getParameter(name);
		return parameter == null || !parameter.identifying() ? null : parameter.value();
	}

	private static String shown(@Nullable Object value) {
		return value == null ? "not given" : "'" + value + "'";
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

	private static Long longOr(JobParameters p, String name, long fallback) {
		Long value = p.getLong(name);
		return value == null ? fallback : value;
	}
}
