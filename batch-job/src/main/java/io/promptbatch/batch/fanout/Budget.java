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
 * tokenizer never makes more tokens than bytes), completion tokens at most {@code max_tokens}.
 */
final class Budget {

	private static final int OVERHEAD_PER_MESSAGE = 8;

	private static final int OVERHEAD = 16;

	private final BigDecimal limit;
	private final PriceTable prices;
	private BigDecimal spent;
	private BigDecimal reserved = BigDecimal.ZERO;

	/** @param spent what the run has spent already (rows committed by earlier attempts) */
	Budget(BigDecimal limit, PriceTable prices, BigDecimal spent) {
		this.limit = limit;
		this.prices = prices;
		this.spent = spent;
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
	synchronized boolean reserve(BigDecimal worst) {
		if (spent.add(reserved).add(worst).compareTo(limit) > 0) {
			return false;
		}
		reserved = reserved.add(worst);
		return true;
	}

	/** Replaces a reservation by what the answer actually cost (zero for a failed request). */
	synchronized void settle(BigDecimal worst, BigDecimal actual) {
		reserved = reserved.subtract(worst);
		spent = spent.add(actual);
	}

	synchronized BigDecimal spent() {
		return spent;
	}

	BigDecimal limit() {
		return limit;
	}
}
