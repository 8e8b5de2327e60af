package io.promptbatch.batch.fanout;

import io.promptbatch.batch.journal.ResponseJournal;
import io.promptbatch.core.client.AnswerChoices;
import io.promptbatch.core.client.ChatOutcome;
import io.promptbatch.core.chat.ChatRequest;
import io.promptbatch.core.client.ChatResponse;
import io.promptbatch.core.client.FatalChatException;
import io.promptbatch.core.client.NonRetriableChatException;
import io.promptbatch.core.cost.PriceTable;
import io.promptbatch.core.prompt.Prompt;
import io.promptbatch.core.provider.MaxTokensField;
import io.promptbatch.core.score.ChoiceScores;
import io.promptbatch.core.score.Scorer;
import java.math.BigDecimal;
import java.util.Locale;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What prices and scores a row: its cost from the price table, its score against the record's {@value #EXPECTED}
 * value, the budget (the worst case reserved before a request is sent, settled to the actual cost when it is
 * answered), and the checks that halt the run: a failure that dooms every row, and an answer longer than the cap its
 * request sent, which shows that the server ignores the field the cap was sent in, so that no cap, and no budget,
 * holds for the rows after it. Thread-safe: rows are finished on the client's threads.
 */
public final class RowFinisher {

	/** The column or field that holds the value an answer is scored against. */
	public static final String EXPECTED = "expected";

	private static final Logger log = LoggerFactory.getLogger(RowFinisher.class);

	private final PriceTable prices;
	private final PriceTable sentPrices;
	private final Predicate<String> journaledLive;
	private final @Nullable Scorer scorer;
	private final @Nullable BigDecimal budgetLimit;
	private final Halt halt;
	private final @Nullable BudgetAccount sharedAccount;
	private @Nullable Budget budget;

	/**
	 * @param prices the run's prices
	 * @param scorer scores answers against the records' {@value #EXPECTED} values, or null
	 * @param budgetLimit the run's spending limit in USD, or null
	 * @param maxTokens the run's completion token limit, which a budget needs to bound a request's cost
	 * @param halt where a reason to take no more rows is recorded
	 */
	public RowFinisher(PriceTable prices, @Nullable Scorer scorer, @Nullable BigDecimal budgetLimit,
			@Nullable Integer maxTokens, Halt halt) {
		this(prices, prices, fingerprint -> false, scorer, budgetLimit, maxTokens, halt);
	}

	/**
	 * A finisher whose rows sent live are priced apart from the others: a {@code --batch-api} run's journal holds its
	 * batches' answers, at the batch price, while the rows {@code --batch-fallback live} sends are answered at the
	 * live price, both when they are sent and when they are found in the journal again (a resumed run).
	 * @param prices the prices of the answers found in the journal that were not sent live
	 * @param sentPrices the prices of the answers to requests sent live (and of the budget's worst cases)
	 * @param journaledLive whether the run's own answer in the journal to the request with this fingerprint was sent
	 *     live, and so is priced at {@code sentPrices}
	 */
	public RowFinisher(PriceTable prices, PriceTable sentPrices, Predicate<String> journaledLive,
			@Nullable Scorer scorer, @Nullable BigDecimal budgetLimit, @Nullable Integer maxTokens, Halt halt) {
		this(prices, sentPrices, journaledLive, scorer, budgetLimit, maxTokens, halt, null);
	}

	/**
	 * {@link #RowFinisher(PriceTable, PriceTable, Predicate, Scorer, BigDecimal, Integer, Halt)} whose budget is kept
	 * in an account shared with the other partitions of the run, when given: what the run spent before is in it
	 * already, so that {@link #open} does not add the partition's own.
	 * @param sharedAccount the run's budget account shared by its partitions, or null for this process's own
	 */
	public RowFinisher(PriceTable prices, PriceTable sentPrices, Predicate<String> journaledLive,
			@Nullable Scorer scorer, @Nullable BigDecimal budgetLimit, @Nullable Integer maxTokens, Halt halt,
			@Nullable BudgetAccount sharedAccount) {
		if (budgetLimit != null && maxTokens == null) {
			throw new IllegalArgumentException("a budget needs a completion token limit (max tokens)");
		}
		this.prices = prices;
		this.sentPrices = sentPrices;
		this.journaledLive = journaledLive;
		this.scorer = scorer;
		this.budgetLimit = budgetLimit;
		this.halt = halt;
		this.sharedAccount = sharedAccount;
	}

	/** Starts the budget, if there is one, at what the run has spent already (rows committed by earlier attempts). */
	public void open(BigDecimal spent) {
		BigDecimal limit = budgetLimit;
		if (limit != null) {
			BudgetAccount account = sharedAccount != null ? sharedAccount : BudgetAccount.local(limit, spent);
			budget = new Budget(limit, sentPrices, account);
		}
	}

	/**
	 * Reserves the request's worst case under the budget, before it is sent.
	 * @return {@link BigDecimal#ZERO} without a budget, the worst case reserved, or null when it could cross the
	 *     budget: no more requests
	 * @throws IllegalStateException when the request's cost cannot be bounded (its model has no price); see
	 *     {@link #unpriced}
	 */
	public @Nullable BigDecimal reserve(Prompt prompt, ChatRequest request) {
		Budget b = budget;
		if (b == null) {
			return BigDecimal.ZERO;
		}
		BigDecimal worst = b.worstCase(request.model(), prompt.messages(), request.maxTokens());
		boolean reserved;
		try {
			reserved = b.reserve(worst);
		}
		catch (RuntimeException e) {
			// a shared budget's database did not answer: nothing is sent without a bound on its cost, and the row is
			// not failed for it either; the run stops, resumably, and the same command continues it
			halt.fatal(new FatalChatException(0, "state_database", "could not reserve this request's cost in the run's "
					+ "shared budget (" + e.getMessage() + "); the run stops here, run the same command again", null, e));
			return null;
		}
		if (!reserved) {
			halt.reachBudget();
			log.warn("Budget: the next request could cost up to ${} and cross the budget of ${} (spent ${}); "
					+ "no more requests", worst.toPlainString(), b.limit().toPlainString(), b.spent().toPlainString());
			return null;
		}
		return worst;
	}

	/** The failed row of a request whose cost could not be bounded under the budget ({@link #reserve} threw). */
	public AnswerRow unpriced(Prompt prompt, ChatRequest request, RuntimeException e) {
		return new AnswerRow(prompt, request.model(), null, null, 0, 0, new NonRetriableChatException(0, "no_price",
				"cannot bound this request's cost under --budget-usd: " + e.getMessage(), null, e));
	}

	/**
	 * The row of a request sent, from its outcome: priced and scored, its reservation settled; a failure that dooms
	 * every row, or an answer longer than its cap, halts the run.
	 * @param failure the exception the outcome's future completed with, when there is no outcome
	 * @param reserved what {@link #reserve} returned for it
	 */
	public AnswerRow finish(Prompt prompt, ChatRequest request, @Nullable ChatOutcome outcome,
			@Nullable Throwable failure, BigDecimal reserved) {
		AnswerRow row;
		try {
			row = scored(toRow(prompt, request, outcome, failure));
		}
		catch (RuntimeException e) {
			row = new AnswerRow(prompt, request.model(), null, null, 0, 0, new NonRetriableChatException(0,
					"client_error", "unexpected failure: " + e, null, e));
		}
		if (outcome instanceof ChatOutcome.Answered a) {
			checkCap(prompt, request, a.response().usage().completionTokens());
		}
		Budget b = budget;
		if (b != null) {
			try {
				b.settle(reserved, row.cost() == null ? BigDecimal.ZERO : row.cost());
			}
			catch (RuntimeException e) {
				// a shared budget's database did not answer: the reservation stays held (the budget errs on the safe
				// side) until the partition gives its share up, and the row is handed out all the same
				log.warn("Budget: could not settle row {} ({}); its reservation of ${} stays held", prompt.id(),
						e.toString(), reserved.toPlainString());
			}
		}
		return row;
	}

	/**
	 * The row of an answer found in the journal: this run's own (paid for, priced), or an earlier run's (the cache:
	 * nothing paid).
	 */
	public AnswerRow journaled(Prompt prompt, ChatRequest request, String fingerprint, ResponseJournal.Entry entry,
			boolean ownRun) {
		AnswerRow row = ownRun
				? new AnswerRow(prompt, request.model(), entry.response(),
						cost(journaledLive.test(fingerprint) ? sentPrices : prices, request.model(), entry.response()),
						entry.latencyMillis(), entry.attempts(), null)
				: new AnswerRow(prompt, request.model(), entry.response(), BigDecimal.ZERO, 0, 0, null, true, null);
		Budget b = budget;
		if (ownRun && b != null && row.cost() != null) {
			// paid for by this run after its last commit (or before an output rewritten from its first row): it
			// counts against the budget as if it had just been answered
			b.settle(BigDecimal.ZERO, row.cost());
		}
		return scored(row);
	}

	private AnswerRow toRow(Prompt prompt, ChatRequest request, @Nullable ChatOutcome outcome,
			@Nullable Throwable failure) {
		if (outcome instanceof ChatOutcome.Answered a) {
			return new AnswerRow(prompt, request.model(), a.response(), cost(sentPrices, request.model(), a.response()),
					a.latencyMillis(), a.attempts(), null);
		}
		if (!(outcome instanceof ChatOutcome.Failed f)) {
			throw new IllegalStateException("no outcome", failure);
		}
		if (f.error() instanceof FatalChatException fe) {
			halt.fatal(fe);
		}
		return new AnswerRow(prompt, request.model(), null, null, f.latencyMillis(), f.attempts(), f.error());
	}

	private AnswerRow scored(AnswerRow row) {
		if (scorer == null || !row.ok()) {
			return row;
		}
		return row.withScores(ChoiceScores.of(scorer, AnswerChoices.of(row.response()).answers(),
				row.prompt().columns().get(EXPECTED)));
	}

	private static @Nullable BigDecimal cost(PriceTable table, String model, ChatResponse response) {
		return table.cost(model, response.usage()).orElse(null);
	}

	/** Halts the run when an answer is longer than the cap its request sent: the server ignored that field. */
	private void checkCap(Prompt prompt, ChatRequest request, long completionTokens) {
		Integer cap = request.maxTokens();
		if (cap == null || completionTokens <= cap) {
			return;
		}
		halt.capIgnored(capIgnoredMessage(prompt.id(), completionTokens, cap, request.maxTokensField()));
	}

	/** What the user reads when the server answered past the cap: the field it ignored, and what to do. */
	static String capIgnoredMessage(String id, long completionTokens, int cap, MaxTokensField sentAs) {
		return String.format(Locale.ROOT, "row %s: the server answered %,d completion tokens for a cap of %,d "
				+ "sent as %s: it ignores that field; pass --max-tokens-field %s, then run the same command again (no more "
				+ "requests were sent; the answers already paid for, this one included, are kept)", id, completionTokens,
				cap, sentAs.wireName(), sentAs.other().wireName());
	}
}
