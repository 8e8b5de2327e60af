package io.promptbatch.core.client.internal;

import io.promptbatch.core.chat.ChatRequest;
import io.promptbatch.core.client.NonRetriableChatException;
import io.promptbatch.core.cost.TokenEstimator;
import java.net.URI;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * Counts a request's tokens two ways, apart from sending it: the estimate a request reserves of the
 * token rate (prompt tokens by an OpenAI tokenizer plus its {@code max_tokens}), and the provider's own
 * count from Moonshot's {@code POST {baseUrl}/tokenizers/estimate-token-count}. Thread-safe.
 */
public final class TokenCounter {

	private final HttpTransport transport;
	private final URI countEndpoint;
	private final @Nullable TokenEstimator estimator;

	/**
	 * @param baseUrl the OpenAI-style base URL, without a trailing slash
	 * @param estimator the tokenizer for the estimate, or null when nothing needs one (no token rate)
	 */
	public TokenCounter(HttpTransport transport, String baseUrl, @Nullable TokenEstimator estimator) {
		this.transport = transport;
		this.countEndpoint = URI.create(baseUrl + "/tokenizers/estimate-token-count");
		this.estimator = estimator;
	}

	/** The tokens a request reserves of the token rate: 0 without an estimator. */
	public long estimate(ChatRequest request) {
		TokenEstimator tokens = estimator;
		if (tokens == null) {
			return 0;
		}
		return tokens.promptTokens(request.messages()) + (request.maxTokens() == null ? 0 : request.maxTokens());
	}

	/** One attempt at the provider's count of the request's prompt tokens ({@code data.total_tokens}). */
	public CompletableFuture<Long> count(ChatRequest request) {
		return transport.post(countEndpoint, WireFormat.requestBody(request)).thenApply(TokenCounter::total);
	}

	static long total(byte[] response) {
		JsonNode total = WireFormat.JSON.readTree(response).path("data").path("total_tokens");
		if (!total.isNumber()) {
			throw new NonRetriableChatException(200, "bad_response", "the token-count response has no data.total_tokens",
					null, null);
		}
		return total.asLong();
	}
}
