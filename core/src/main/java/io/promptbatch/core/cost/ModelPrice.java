package io.promptbatch.core.cost;

import java.math.BigDecimal;

/**
 * Prices of one model in USD per million tokens.
 *
 * @param inputCacheHit prompt tokens served from the provider's context cache
 * @param input other prompt tokens
 * @param output completion tokens (reasoning included)
 */
public record ModelPrice(BigDecimal inputCacheHit, BigDecimal input, BigDecimal output) {
}
