package io.promptbatch.core.cost;

import io.promptbatch.core.client.Usage;
import io.promptbatch.core.prompt.Prompt;
import io.promptbatch.core.prompt.PromptReader;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * What a file of prompts will cost, per model, without calling any API: prompt tokens counted on the
 * prompts exactly as a run renders them, completion tokens from a stated guess, and the price table's
 * arithmetic.
 *
 * @param model the model
 * @param rows records that will be sent to it
 * @param promptTokens estimated prompt tokens of those records
 * @param guess completion tokens per row: expected, low, high, and where the numbers come from
 * @param price the model's price, or null when the table has none
 */
public record CostEstimate(String model, long rows, long promptTokens, CompletionGuess guess,
		@Nullable ModelPrice price) {

	/**
	 * Completion tokens per row.
	 *
	 * @param expected the expected count
	 * @param low the low end
	 * @param high the high end
	 * @param basis where the numbers come from, in words
	 */
	public record CompletionGuess(long expected, long low, long high, String basis) {
	}

	public long completionTokens() {
		return rows * guess.expected();
	}

	public @Nullable BigDecimal cost(PriceTable prices) {
		return prices.cost(model, new Usage(promptTokens, completionTokens(), 0, 0)).orElse(null);
	}

	public @Nullable BigDecimal costLow(PriceTable prices) {
		return prices.cost(model, new Usage(promptTokens, rows * guess.low(), 0, 0)).orElse(null);
	}

	public @Nullable BigDecimal costHigh(PriceTable prices) {
		return prices.cost(model, new Usage(promptTokens, rows * guess.high(), 0, 0)).orElse(null);
	}

	/**
	 * Reads every prompt and sums the estimate per model.
	 * @param modelOf the model a prompt's request names, as the run would choose it
	 */
	public static List<CostEstimate> of(PromptReader reader, Function<Prompt, String> modelOf, TokenEstimator tokens,
			Function<String, CompletionGuess> guesses, PriceTable prices) {
		Map<String, long[]> perModel = new LinkedHashMap<>();
		Prompt p;
		while ((p = reader.read()) != null) {
			String m = modelOf.apply(p);
			long[] sums = perModel.computeIfAbsent(m, k -> new long[2]);
			sums[0]++;
			sums[1] += tokens.promptTokens(p.messages());
		}
		return of(perModel, guesses, prices);
	}

	/**
	 * Estimates from counts already made (e.g. by the provider's own token-count endpoint).
	 * @param perModel per model: rows and prompt tokens
	 */
	public static List<CostEstimate> of(Map<String, long[]> perModel, Function<String, CompletionGuess> guesses,
			PriceTable prices) {
		List<CostEstimate> estimates = new ArrayList<>();
		perModel.forEach((m, sums) -> estimates.add(new CostEstimate(m, sums[0], sums[1], guesses.apply(m),
				prices.price(m).orElse(null))));
		return estimates;
	}
}
