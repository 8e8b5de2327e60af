package io.promptbatch.batch;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * Everything one run needs, as the user gave it. The API key is not here: it is looked up from the
 * environment by variable name when the run starts, and never stored.
 *
 * @param input the prompts file (.csv or .jsonl)
 * @param output the answers file (.jsonl or .csv)
 * @param baseUrl the OpenAI-style base URL
 * @param model the model for records that name none
 * @param keyVariable the environment variable that holds the key, or null for a server that needs none
 * @param system the system message for records without one, or null
 * @param template the user-message template, or null
 * @param skipInvalid leave out invalid records (listed in {@code <output>.rejects.jsonl}) instead of refusing the file
 * @param maxTokens the completion token limit, or null
 * @param temperature the sampling temperature, or null
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
 */
public record RunSpec(Path input, Path output, String baseUrl, String model, @Nullable String keyVariable,
		@Nullable String system, @Nullable String template, boolean skipInvalid, @Nullable Integer maxTokens,
		@Nullable Double temperature,
		int concurrency, int maxRetries, Duration timeout, int chunkSize, long from, long to, @Nullable String runKey,
		@Nullable BigDecimal budgetUsd, @Nullable Path prices, boolean stream, Duration idleTimeout,
		long rpm, long tpm, boolean autoConcurrency) {

	public RunSpec {
		input = input.toAbsolutePath().normalize();
		output = output.toAbsolutePath().normalize();
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
	}

	/** A spec with the defaults for everything but the files, the server and the model. */
	public static RunSpec of(Path input, Path output, String baseUrl, String model) {
		return new RunSpec(input, output, baseUrl, model, null, null, null, false, null, null, 16, 6,
				Duration.ofSeconds(120), 100, 0, Long.MAX_VALUE, null, null, null, false,
				Duration.ofSeconds(60), 0, 0, false);
	}

	public RunSpec withConcurrency(int n) {
		return new RunSpec(input, output, baseUrl, model, keyVariable, system, template, skipInvalid, maxTokens, temperature, n,
				maxRetries, timeout, chunkSize, from, to, runKey, budgetUsd, prices, stream,
				idleTimeout, rpm, tpm, autoConcurrency);
	}

	public RunSpec withKeyVariable(@Nullable String variable) {
		return new RunSpec(input, output, baseUrl, model, variable, system, template, skipInvalid, maxTokens, temperature,
				concurrency, maxRetries, timeout, chunkSize, from, to, runKey, budgetUsd, prices, stream,
				idleTimeout, rpm, tpm, autoConcurrency);
	}

	public RunSpec withRetries(int retries, Duration attemptTimeout) {
		return new RunSpec(input, output, baseUrl, model, keyVariable, system, template, skipInvalid, maxTokens, temperature,
				concurrency, retries, attemptTimeout, chunkSize, from, to, runKey, budgetUsd, prices, stream,
				idleTimeout, rpm, tpm, autoConcurrency);
	}

	public RunSpec withBudget(@Nullable BigDecimal usd, @Nullable Integer completionLimit) {
		return new RunSpec(input, output, baseUrl, model, keyVariable, system, template, skipInvalid, completionLimit,
				temperature, concurrency, maxRetries, timeout, chunkSize, from, to, runKey, usd, prices, stream, idleTimeout, rpm, tpm, autoConcurrency);
	}

	public RunSpec withStream(boolean streaming) {
		return new RunSpec(input, output, baseUrl, model, keyVariable, system, template, skipInvalid, maxTokens,
				temperature, concurrency, maxRetries, timeout, chunkSize, from, to, runKey, budgetUsd, prices, streaming,
				idleTimeout, rpm, tpm, autoConcurrency);
	}

	public RunSpec withRates(long requestsPerMinute, long tokensPerMinute) {
		return new RunSpec(input, output, baseUrl, model, keyVariable, system, template, skipInvalid, maxTokens,
				temperature, concurrency, maxRetries, timeout, chunkSize, from, to, runKey, budgetUsd, prices, stream,
				idleTimeout, requestsPerMinute, tokensPerMinute, autoConcurrency);
	}

	public RunSpec withAutoConcurrency(int max) {
		return new RunSpec(input, output, baseUrl, model, keyVariable, system, template, skipInvalid, maxTokens,
				temperature, max, maxRetries, timeout, chunkSize, from, to, runKey, budgetUsd, prices, stream,
				idleTimeout, rpm, tpm, true);
	}

	public RunSpec withChunkSize(int size) {
		return new RunSpec(input, output, baseUrl, model, keyVariable, system, template, skipInvalid, maxTokens, temperature,
				concurrency, maxRetries, timeout, size, from, to, runKey, budgetUsd, prices, stream,
				idleTimeout, rpm, tpm, autoConcurrency);
	}
}
