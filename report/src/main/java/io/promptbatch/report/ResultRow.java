package io.promptbatch.report;

import java.math.BigDecimal;
import org.jspecify.annotations.Nullable;

/**
 * One row of a run's output, as the report reads it back.
 *
 * @param id the record's id
 * @param ok the row was answered
 * @param model the model that answered, or the request's
 * @param answer the answer, or null
 * @param reasoning the thinking text, or null
 * @param promptTokens prompt tokens, 0 when unknown
 * @param completionTokens completion tokens, 0 when unknown
 * @param cost cost in USD, or null when unknown
 * @param latencyMillis time from first attempt to outcome
 * @param attempts requests sent for the row
 * @param error what went wrong, or null
 * @param errorGroup the kind of failure (HTTP status and code), or null for an answered row
 * @param cached the answer came from the response cache
 * @param score 1 or 0 when scored, else null
 * @param expected the record's {@code expected} value, or null
 * @param scoreAny 1 when any of the row's choices passed, 0 when none did, null when not scored
 * @param choices the answer's choices (1 unless the request asked for several)
 */
public record ResultRow(String id, boolean ok, String model, @Nullable String answer, @Nullable String reasoning,
		long promptTokens, long completionTokens, @Nullable BigDecimal cost, long latencyMillis, int attempts,
		@Nullable String error, @Nullable String errorGroup, boolean cached, @Nullable Integer score,
		@Nullable String expected, @Nullable Integer scoreAny, int choices) {

	/** A row of one choice: pass@n is its own score. */
	public ResultRow(String id, boolean ok, String model, @Nullable String answer, @Nullable String reasoning,
			long promptTokens, long completionTokens, @Nullable BigDecimal cost, long latencyMillis, int attempts,
			@Nullable String error, @Nullable String errorGroup, boolean cached, @Nullable Integer score,
			@Nullable String expected) {
		this(id, ok, model, answer, reasoning, promptTokens, completionTokens, cost, latencyMillis, attempts, error,
				errorGroup, cached, score, expected, score, 1);
	}
}
