package io.promptbatch.core.cost;

import io.promptbatch.core.chat.Usage;
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
 * arithmetic. A record with its own {@code max_tokens} (a column, a field, or an OpenAI Batch body)
 * is held to it, as the run holds it: it replaces {@code --max-tokens}, and caps a guess (the expected
 * and low counts at most the limit, the high count the limit).
 *
 * @param model the model
 * @param rows records that will be sent to it
 * @param promptTokens estimated prompt tokens of those records
 * @param guess completion tokens per row: expected, low, high, and where the numbers come from
 * @param completionTokens expected completion tokens of those records
 * @param completionLow the low end of their completion tokens
 * @param completionHigh the high end of their completion tokens
 * @param ownLimits records among them with a completion limit of their own
 * @param price the model's price, or null when the table has none
 */
public record CostEstimate(String model, long rows, long promptTokens, CompletionGuess guess, long completionTokens,
		long completionLow, long completionHigh, long ownLimits, @Nullable ModelPrice price) {

	/**
	 * Completion tokens per row.
	 *
	 * @param expected the expected count
	 * @param low the low end
	 * @param high the high end
	 * @param basis where the numbers come from, in words
	 * @param isLimit whether the numbers are the run's completion limit ({@code --max-tokens}) rather than
	 * a guess, which a record's own limit then replaces
	 */
	public record CompletionGuess(long expected, long low, long high, String basis, boolean isLimit) {

		/** A guess from experience or a default. */
		public CompletionGuess(long expected, long low, long high, String basis) {
			this(expected, low, high, basis, false);
		}

		/** The run's completion limit: the expected and high count, with 0 as the low end. */
		public static CompletionGuess limit(long maxTokens, String basis) {
			return new CompletionGuess(maxTokens, 0, maxTokens, basis, true);
		}

		/** For a record with a completion limit of its own, which the run sends instead of the run's. */
		CompletionGuess heldTo(long ownLimit) {
			return isLimit ? limit(ownLimit, basis)
					: new CompletionGuess(Math.min(expected, ownLimit), Math.min(low, ownLimit), ownLimit, basis);
		}
	}

	public @Nullable BigDecimal cost(PriceTable prices) {
		return prices.cost(model, new Usage(promptTokens, completionTokens, 0, 0)).orElse(null);
	}

	public @Nullable BigDecimal costLow(PriceTable prices) {
		return prices.cost(model, new Usage(promptTokens, completionLow, 0, 0)).orElse(null);
	}

	public @Nullable BigDecimal costHigh(PriceTable prices) {
		return prices.cost(model, new Usage(promptTokens, completionHigh, 0, 0)).orElse(null);
	}

	/**
	 * Reads every prompt and sums the estimate per model.
	 * @param modelOf the model a prompt's request names, as the run would choose it
	 */
	public static List<CostEstimate> of(PromptReader reader, Function<Prompt, String> modelOf, TokenEstimator tokens,
			Function<String, CompletionGuess> guesses, PriceTable prices) {
		Tally tally = new Tally(guesses);
		Prompt p;
		while ((p = reader.read()) != null) {
			String m = modelOf.apply(p);
			tally.add(m, p.settings().maxTokens());
			tally.addPromptTokens(m, tokens.promptTokens(p.messages()));
		}
		return tally.estimates(prices);
	}

	/**
	 * Sums per model, one record at a time; prompt tokens may come later (e.g. from the provider's own
	 * token-count endpoint). Thread-safe.
	 */
	public static final class Tally {

		private final Function<String, CompletionGuess> guesses;

		private final Map<String, CompletionGuess> guessOf = new LinkedHashMap<>();

		/** Per model: rows, prompt tokens, expected, low and high completion tokens, rows with their own limit. */
		private final Map<String, long[]> sums = new LinkedHashMap<>();

		public Tally(Function<String, CompletionGuess> guesses) {
			this.guesses = guesses;
		}

		/** A record sent to {@code model}, with its own completion limit or null. */
		public synchronized void add(String model, @Nullable Integer ownLimit) {
			CompletionGuess g = guessOf.computeIfAbsent(model, guesses);
			long[] s = sums.computeIfAbsent(model, k -> new long[6]);
			s[0]++;
			if (ownLimit != null) {
				g = g.heldTo(ownLimit);
				s[5]++;
			}
			s[2] += g.expected();
			s[3] += g.low();
			s[4] += g.high();
		}

		public synchronized void addPromptTokens(String model, long tokens) {
			sums.computeIfAbsent(model, k -> new long[6])[1] += tokens;
		}

		public synchronized List<CostEstimate> estimates(PriceTable prices) {
			List<CostEstimate> estimates = new ArrayList<>();
			sums.forEach((m, s) -> estimates.add(new CostEstimate(m, s[0], s[1], guessOf.get(m), s[2], s[3], s[4],
					s[5], prices.price(m).orElse(null))));
			return estimates;
		}
	}
}
