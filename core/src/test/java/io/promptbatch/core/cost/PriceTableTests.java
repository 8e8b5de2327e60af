package io.promptbatch.core.cost;

import static org.assertj.core.api.Assertions.assertThat;

import io.promptbatch.core.client.Usage;
import java.math.BigDecimal;
import org.junit.jupiter.api.Test;

class PriceTableTests {

	private final PriceTable prices = PriceTable.bundled();

	@Test
	void pricesCachedPromptOtherPromptAndCompletionTokensSeparately() {
		// kimi-k2.5: 0.10 cache hit / 0.60 input / 3.00 output per million
		BigDecimal cost = prices.cost("kimi-k2.5", new Usage(1_000_000, 200_000, 1_200_000, 400_000)).orElseThrow();

		// 400k * 0.10 + 600k * 0.60 + 200k * 3.00 = 0.04 + 0.36 + 0.60
		assertThat(cost).isEqualByComparingTo("1.00");
	}

	@Test
	void smallUsageKeepsItsPrecision() {
		BigDecimal cost = prices.cost("kimi-k2-0905-preview", new Usage(19, 13, 32, 0)).orElseThrow();

		// 19 * 0.60 + 13 * 2.50 = 11.4 + 32.5 = 43.9 per million
		assertThat(cost).isEqualByComparingTo("0.0000439");
	}

	@Test
	void anUnknownModelHasNoPrice() {
		assertThat(prices.cost("some-new-model", new Usage(10, 10, 20, 0))).isEmpty();
	}

	@Test
	void theTableSaysWhenAndWhereItWasRead() {
		assertThat(prices.asOf()).matches("\\d{4}-\\d{2}-\\d{2}");
		assertThat(prices.source()).isNotBlank();
	}
}
