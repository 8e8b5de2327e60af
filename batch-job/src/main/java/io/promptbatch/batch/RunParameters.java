package io.promptbatch.batch;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.springframework.batch.core.job.parameters.JobParameters;
import org.springframework.batch.core.job.parameters.JobParametersBuilder;

/**
 * The job parameters of a run. Identifying parameters are those that change the answers (files,
 * server, model, prompts, sampling, record range, run key): the same command again is the same job
 * instance, so it resumes. Concurrency, retries, timeout and chunk size may change between attempts.
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

	private RunParameters() {
	}

	/**
	 * @param total the records in the input's range, from the scan before the run
	 * @param columns the carried input columns, from the same scan
	 */
	public static JobParameters of(RunSpec spec, long total, List<String> columns) {
		JobParametersBuilder b = new JobParametersBuilder()
			.addString(INPUT, spec.input().toString())
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
		if (spec.runKey() != null) {
			b.addString(RUN_KEY, spec.runKey());
		}
		b.addString(STREAM, Boolean.toString(spec.stream()), false);
		b.addLong(RPM, spec.rpm(), false);
		b.addString(AUTO_CONCURRENCY, Boolean.toString(spec.autoConcurrency()), false);
		b.addLong(TPM, spec.tpm(), false);
		b.addLong(IDLE_TIMEOUT_MS, spec.idleTimeout().toMillis(), false);
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
		return new RunSpec(Path.of(required(p, INPUT)), Path.of(required(p, OUTPUT)), required(p, BASE_URL),
				required(p, MODEL), p.getString(KEY_VARIABLE), p.getString(SYSTEM), p.getString(TEMPLATE),
				"true".equals(p.getString(SKIP_INVALID)), maxTokens == null ? null : maxTokens.intValue(), p.getDouble(TEMPERATURE),
				longOr(p, CONCURRENCY, 16).intValue(), longOr(p, MAX_RETRIES, 6).intValue(),
				Duration.ofMillis(longOr(p, TIMEOUT_MS, 120_000)), longOr(p, CHUNK_SIZE, 100).intValue(),
				longOr(p, FROM, 0), longOr(p, TO, Long.MAX_VALUE), p.getString(RUN_KEY),
				p.getString(BUDGET_USD) == null ? null : new java.math.BigDecimal(p.getString(BUDGET_USD)),
				p.getString(PRICES) == null ? null : Path.of(p.getString(PRICES)), "true".equals(p.getString(STREAM)),
				Duration.ofMillis(longOr(p, IDLE_TIMEOUT_MS, 60_000)), longOr(p, RPM, 0), longOr(p, TPM, 0),
				"true".equals(p.getString(AUTO_CONCURRENCY)));
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
