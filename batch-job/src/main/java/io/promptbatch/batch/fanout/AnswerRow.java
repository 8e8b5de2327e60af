package io.promptbatch.batch.fanout;

import io.promptbatch.core.chat.Usage;
import io.promptbatch.core.client.AnswerChoices;
import io.promptbatch.core.client.ChatException;
import io.promptbatch.core.client.ChatResponse;
import io.promptbatch.core.client.FatalChatException;
import io.promptbatch.core.prompt.Prompt;
import io.promptbatch.core.score.ChoiceScores;
import java.math.BigDecimal;
import org.jspecify.annotations.Nullable;

/**
 * One output row: the prompt and what became of it.
 *
 * @param prompt the input record
 * @param model the model the request named
 * @param response the answer, or null when the row failed
 * @param cost the cost of the answer in USD, or null when the model has no price or the row failed
 * @param latencyMillis time from first attempt to outcome
 * @param attempts requests sent for this row
 * @param error what went wrong, or null for an answered row
 * @param cached the answer came from the response cache (an earlier run's answer to the same request):
 *     nothing was sent or paid for
 * @param scores each choice's score when the run is scored, else null
 */
public record AnswerRow(Prompt prompt, String model, @Nullable ChatResponse response, @Nullable BigDecimal cost,
		long latencyMillis, int attempts, @Nullable ChatException error, boolean cached, @Nullable ChoiceScores scores) {

	/** An answered or failed row that was not served from the cache, not (yet) scored. */
	public AnswerRow(Prompt prompt, String model, @Nullable ChatResponse response, @Nullable BigDecimal cost,
			long latencyMillis, int attempts, @Nullable ChatException error) {
		this(prompt, model, response, cost, latencyMillis, attempts, error, false, null);
	}

	/** This row with its choices' scores. */
	public AnswerRow withScores(ChoiceScores value) {
		return new AnswerRow(prompt, model, response, cost, latencyMillis, attempts, error, cached, value);
	}

	/** The first choice's score (1 or 0) when the run is scored and the row could be, else null. */
	public @Nullable Integer score() {
		return scores == null ? null : scores.first();
	}

	/** 1 when any choice passed, 0 when none did, null when the row is not scored. */
	public @Nullable Integer scoreAny() {
		return scores == null ? null : scores.any();
	}

	/** What the body holds beyond the first choice's text; null for a failed row. */
	public @Nullable AnswerChoices choices() {
		return response == null ? null : AnswerChoices.of(response);
	}

	public boolean ok() {
		return response != null;
	}

	public String status() {
		return ok() ? "ok" : "failed";
	}

	public Usage usage() {
		return response == null ? Usage.NONE : response.usage();
	}

	/** The failure that dooms the whole run, or null. */
	public @Nullable FatalChatException fatal() {
		return error instanceof FatalChatException f ? f : null;
	}
}
