package io.promptbatch.batch.fanout;

import io.promptbatch.core.chat.Message;
import io.promptbatch.core.chat.Usage;
import io.promptbatch.core.cost.PriceTable;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A spending limit that is never crossed: before a request is sent its worst case is reserved, and a
 * request whose worst case could cross the limit is not sent. The worst case is a true upper bound:
 * prompt tokens at most the prompt's UTF-8 bytes plus the chat format's overhead (a byte-level
 * tokenizer never makes more tokens than bytes), completion tokens at most {@code max_tokens}. The spending is kept
 * in a {@link BudgetAccount}: this process's, or one shared by a run's partitions.
 */
final class Budget {

	private static final int OVERHEAD_PER_MESSAGE = 8;

	private static final int OVERHEAD = 16;

	private final BigDecimal limit;
	private final PriceTable prices;
	private final BudgetAccount account;

	/** @param account where the spending is kept: this process's, or the run's shared one */
	Budget(BigDecimal limit, PriceTable prices, BudgetAccount account) {
		this.limit = limit;
		this.prices = prices;
		this.account = account;
	}

	BigDecimal worstCase(String model, List<Message> messages, int maxTokens) {
		long promptBound = OVERHEAD;
		for (Message m : messages) {
			promptBound += OVERHEAD_PER_MESSAGE + m.content().getBytes(StandardCharsets.UTF_8).length;
		}
		return prices.cost(model, new Usage(promptBound, maxTokens, promptBound + maxTokens, 0))
			.orElseThrow(() -> new IllegalStateException("model " + model + " has no price; add it with --prices"));
	}

	/** Reserves the worst case, or returns false when it could cross the limit. */
	boolean reserve(BigDecimal worst) {
		return account.reserve(worst);
	}

	/** Replaces a reservation by what the answer actually cost (zero for a failed request). */
	void settle(BigDecimal worst, BigDecimal actual) {
		account.settle(worst, actual);
	}

	BigDecimal spent() {
		return account.spent();
	}

	BigDecimal limit() {
		return limit;
	}
}
