package io.promptbatch.batch.fanout;

import io.promptbatch.core.chat.ChatRequest;
import io.promptbatch.core.chat.Message;
import io.promptbatch.core.client.NonRetriableChatException;
import io.promptbatch.core.cost.PriceTable;
import io.promptbatch.core.cost.TokenEstimator;
import java.util.Locale;
import java.util.OptionalLong;
import org.jspecify.annotations.Nullable;

/**
 * Keeps back a request whose prompt cannot fit the model's context window, where the price table knows
 * the window: the provider would refuse it, or bill it, for nothing. Prompts are counted with the
 * estimator's tokenizer, which approximates the provider's; a prompt so short that even one token per
 * UTF-8 byte would fit is not counted at all, so that ordinary prompts cost nothing here. Used by the
 * dispatching thread only.
 */
final class ContextWindow {

	/** The error code of a row kept back. */
	static final String CODE = "context_window_exceeded";

	private final PriceTable prices;

	private @Nullable TokenEstimator tokens;

	ContextWindow(PriceTable prices) {
		this.prices = prices;
	}

	/** Why the request must not be sent, or null when it may be (or the model's window is unknown). */
	@Nullable NonRetriableChatException check(ChatRequest request) {
		OptionalLong window = prices.contextTokens(request.model());
		if (window.isEmpty() || byteBound(request) <= window.getAsLong()) {
			return null;
		}
		if (tokens == null) {
			tokens = new TokenEstimator();
		}
		long estimate = tokens.promptTokens(request.messages());
		if (estimate <= window.getAsLong()) {
			return null;
		}
		return new NonRetriableChatException(0, CODE, String.format(Locale.ROOT, "prompt of about %d tokens exceeds "
				+ "%s's context window of %d tokens; not sent (shorten the prompt, or give the window with --prices "
				+ "if the server's is larger)", estimate, request.model(), window.getAsLong()), null, null);
	}

	/**
	 * An upper bound of the prompt's tokens that needs no tokenizer: at most one token per UTF-8 byte, at most
	 * three bytes per UTF-16 char, plus the chat format's overhead.
	 */
	private static long byteBound(ChatRequest request) {
		long bound = 16;
		for (Message m : request.messages()) {
			bound += 8 + 3L * m.content().length();
		}
		return bound;
	}
}
