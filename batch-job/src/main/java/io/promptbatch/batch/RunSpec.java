package io.promptbatch.batch;

import io.promptbatch.batch.output.OutputFormat;
import io.promptbatch.core.provider.MaxTokensField;
import io.promptbatch.core.score.Scorer;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * Everything one run needs, as the user gave it. The API key is not here: it is looked up from the
 * environment by variable name when the run starts, and never stored.
 *
 * @param input the prompts file (.csv or .jsonl)
 * @param output the answers file (.jsonl or .csv)
 * @param baseUrl the OpenAI-style base URL
 * @param model the model for records that name none
 * @param modelGiven the model was named by the user (it then overrides the model in an OpenAI Batch line's body)
 * @param keyVariable the environment variable that holds the key, or null for a server that needs none
 * @param system the system message for records without one, or null
 * @param template the user-message template, or null
 * @param skipInvalid leave out invalid records (listed in {@code <output>.rejects.jsonl}) instead of refusing the file
 * @param maxTokens the completion token limit, or null
 * @param temperature the sampling temperature, or null
 * @param params other request body fields ({@code --param key=value}), by name
 * @param concurrency requests in flight at most
 * @param maxRetries retries per request after the first attempt
 * @param timeout time allowed for one attempt
 * @param chunkSize rows written per commit
 * @param from first record (0-based) of the range this run covers
 * @param to end of the range, exclusive; {@link Long#MAX_VALUE} for the end of the file
 * @param runKey distinguishes runs of the same input and output (e.g. a date), or null
 * @param budgetUsd spending limit of the whole run in USD, never exceeded, or null
 * @param prices a price file adding to or replacing the bundled table, or null
 * @param stream stream answers (same rows as without; only the transport differs)
 * @param idleTimeout with streaming, the longest silence allowed between bytes
 * @param rpm requests per minute at most, 0 for no limit
 * @param tpm tokens per minute at most, 0 for no limit
 * @param autoConcurrency adapt the number in flight to the provider, up to {@code concurrency}
 * @param outputFormat the output file's format
 * @param cache how the response cache is used
 * @param score how answers are scored against the rows' {@code expected} values, or null for no scoring
 * @param maxOutage how long the run waits out a provider outage before it stops (resumably)
 * @param maxRowTime the longest one row may take, retries and their waits included
 * @param maxTokensField the body field that carries the cap ({@code --max-tokens-field}), or null to send the
 *     one the provider and model family honour
 * @param report write the run's HTML page at the end (not part of the run's identity)
 */
public record RunSpec(Path input, Path output, String baseUrl, String model, boolean modelGiven,
		@Nullable String keyVariable, @Nullable String system, @Nullable String template, boolean skipInvalid,
		@Nullable Integer maxTokens, @Nullable Double temperature, Map<String, JsonNode> params, int concurrency,
		int maxRetries, Duration timeout, int chunkSize, long from, long to, @Nullable String runKey,
		@Nullable BigDecimal budgetUsd, @Nullable Path prices, boolean stream, Duration idleTimeout, long rpm, long tpm,
		boolean autoConcurrency, OutputFormat outputFormat, CacheMode cache, @Nullable Scorer score, Duration maxOutage,
		Duration maxRowTime, @Nullable MaxTokensField maxTokensField, boolean report) {

	public RunSpec {
		input = input.toAbsolutePath().normalize();
		output = output.toAbsolutePath().normalize();
		params = Collections.unmodifiableMap(new TreeMap<>(params));
		if (concurrency < 1) {
			throw new IllegalArgumentException("concurrency must be at least 1, was " + concurrency);
		}
		if (maxRetries < 0) {
			throw new IllegalArgumentException("max retries must not be negative, was " + maxRetries);
		}
		if (chunkSize < 1) {
			throw new IllegalArgumentException("chunk size must be at least 1, was " + chunkSize);
		}
		if (from < 0 || to < from) {
			throw new IllegalArgumentException("record range must satisfy 0 <= from <= to, was [" + from + ", " + to + ")");
		}
		if (timeout.isNegative() || timeout.isZero()) {
			throw new IllegalArgumentException("timeout must be positive, was " + timeout);
		}
		if (budgetUsd != null && budgetUsd.signum() <= 0) {
			throw new IllegalArgumentException("budget must be more than 0 USD, was " + budgetUsd);
		}
		if (rpm < 0 || tpm < 0) {
			throw new IllegalArgumentException("rate limits must not be negative, were rpm " + rpm + ", tpm " + tpm);
		}
		if (maxTokens != null && maxTokens < 1) {
			throw new IllegalArgumentException("max tokens must be at least 1, was " + maxTokens);
		}
		if (maxOutage.isNegative() || maxOutage.isZero() || maxRowTime.isNegative() || maxRowTime.isZero()) {
			throw new IllegalArgumentException("the outage and row time limits must be positive, were " + maxOutage
					+ " and " + maxRowTime);
		}
	}

	/** A spec with the defaults for everything but the files, the server and the model. */
	public static RunSpec of(Path input, Path output, String baseUrl, String model) {
		return builder(input, output, baseUrl, model).build();
	}

	/**
	 * A builder with the defaults for everything but the files, the server and the model; the output
	 * format follows the output's extension.
	 */
	public static Builder builder(Path input, Path output, String baseUrl, String model) {
		return new Builder(input, output, baseUrl, model);
	}

	/** A builder holding this spec's values. */
	public Builder toBuilder() {
		Builder b = new Builder(input, output, baseUrl, model);
		b.modelGiven = modelGiven;
		b.keyVariable = keyVariable;
		b.system = system;
		b.template = template;
		b.skipInvalid = skipInvalid;
		b.maxTokens = maxTokens;
		b.maxTokensField = maxTokensField;
		b.temperature = temperature;
		b.params = params;
		b.concurrency = concurrency;
		b.maxRetries = maxRetries;
		b.timeout = timeout;
		b.chunkSize = chunkSize;
		b.from = from;
		b.to = to;
		b.runKey = runKey;
		b.budgetUsd = budgetUsd;
		b.prices = prices;
		b.stream = stream;
		b.idleTimeout = idleTimeout;
		b.rpm = rpm;
		b.tpm = tpm;
		b.autoConcurrency = autoConcurrency;
		b.outputFormat = outputFormat;
		b.cache = cache;
		b.score = score;
		b.maxOutage = maxOutage;
		b.maxRowTime = maxRowTime;
		b.report = report;
		return b;
	}

	/** Builds a {@link RunSpec}; each setter returns the builder. */
	public static final class Builder {

		private final Path input;
		private final Path output;
		private final String baseUrl;
		private final String model;
		private boolean modelGiven;
		private @Nullable String keyVariable;
		private @Nullable String system;
		private @Nullable String template;
		private boolean skipInvalid;
		private @Nullable Integer maxTokens;
		private @Nullable MaxTokensField maxTokensField;
		private @Nullable Double temperature;
		private Map<String, JsonNode> params = Map.of();
		private int concurrency = 16;
		private int maxRetries = 6;
		private Duration timeout = Duration.ofSeconds(120);
		private int chunkSize = 100;
		private long from;
		private long to = Long.MAX_VALUE;
		private @Nullable String runKey;
		private @Nullable BigDecimal budgetUsd;
		private @Nullable Path prices;
		private boolean stream;
		private Duration idleTimeout = Duration.ofSeconds(60);
		private long rpm;
		private long tpm;
		private boolean autoConcurrency;
		private @Nullable OutputFormat outputFormat;
		private CacheMode cache = CacheMode.USE;
		private @Nullable Scorer score;
		private Duration maxOutage = Duration.ofMinutes(5);
		private Duration maxRowTime = Duration.ofMinutes(15);
		private boolean report;

		private Builder(Path input, Path output, String baseUrl, String model) {
			this.input = input;
			this.output = output;
			this.baseUrl = baseUrl;
			this.model = model;
		}

		public Builder modelGiven(boolean given) {
			this.modelGiven = given;
			return this;
		}

		public Builder keyVariable(@Nullable String variable) {
			this.keyVariable = variable;
			return this;
		}

		public Builder system(@Nullable String text) {
			this.system = text;
			return this;
		}

		public Builder template(@Nullable String text) {
			this.template = text;
			return this;
		}

		public Builder skipInvalid(boolean skip) {
			this.skipInvalid = skip;
			return this;
		}

		public Builder maxTokens(@Nullable Integer limit) {
			this.maxTokens = limit;
			return this;
		}

		/** The body field that carries the cap, or null to send the one the provider and model honour. */
		public Builder maxTokensField(@Nullable MaxTokensField field) {
			this.maxTokensField = field;
			return this;
		}

		public Builder temperature(@Nullable Double value) {
			this.temperature = value;
			return this;
		}

		public Builder params(Map<String, JsonNode> fields) {
			this.params = fields;
			return this;
		}

		public Builder concurrency(int n) {
			this.concurrency = n;
			this.autoConcurrency = false;
			return this;
		}

		/** Adapts the number in flight to the provider, up to {@code max}. */
		public Builder autoConcurrency(int max) {
			this.concurrency = max;
			this.autoConcurrency = true;
			return this;
		}

		public Builder retries(int retries, Duration attemptTimeout) {
			this.maxRetries = retries;
			this.timeout = attemptTimeout;
			return this;
		}

		public Builder chunkSize(int size) {
			this.chunkSize = size;
			return this;
		}

		public Builder range(long first, long end) {
			this.from = first;
			this.to = end;
			return this;
		}

		public Builder runKey(@Nullable String key) {
			this.runKey = key;
			return this;
		}

		public Builder budgetUsd(@Nullable BigDecimal usd) {
			this.budgetUsd = usd;
			return this;
		}

		public Builder prices(@Nullable Path file) {
			this.prices = file;
			return this;
		}

		public Builder stream(boolean streaming) {
			this.stream = streaming;
			return this;
		}

		public Builder idleTimeout(Duration timeout) {
			this.idleTimeout = timeout;
			return this;
		}

		public Builder rates(long requestsPerMinute, long tokensPerMinute) {
			this.rpm = requestsPerMinute;
			this.tpm = tokensPerMinute;
			return this;
		}

		public Builder outputFormat(@Nullable OutputFormat format) {
			this.outputFormat = format;
			return this;
		}

		public Builder cache(CacheMode mode) {
			this.cache = mode;
			return this;
		}

		public Builder score(@Nullable Scorer scorer) {
			this.score = scorer;
			return this;
		}

		/** How long a provider outage is waited out, and how long one row may take in all. */
		public Builder limits(Duration outage, Duration rowTime) {
			this.maxOutage = outage;
			this.maxRowTime = rowTime;
			return this;
		}

		/** Write the run's HTML page at the end. */
		public Builder report(boolean write) {
			this.report = write;
			return this;
		}

		public RunSpec build() {
			OutputFormat format = outputFormat != null ? outputFormat : OutputFormat.of(output);
			return new RunSpec(input, output, baseUrl, model, modelGiven, keyVariable, system, template, skipInvalid,
					maxTokens, temperature, params, concurrency, maxRetries, timeout, chunkSize, from, to, runKey,
					budgetUsd, prices, stream, idleTimeout, rpm, tpm, autoConcurrency, format, cache, score, maxOutage,
					maxRowTime, maxTokensField, report);
		}
	}
}
