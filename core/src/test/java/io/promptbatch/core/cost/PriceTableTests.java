package io.promptbatch.core.cost;

import static org.assertj.core.api.Assertions.assertThat;

import io.promptbatch.core.chat.Usage;
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
	void batchPricesAreTheModelsOwnAndAModelWithoutThemHasNoBatchPrice() {
		PriceTable batch = prices.forBatches();
		Usage usage = new Usage(1_000_000, 200_000, 1_200_000, 400_000);
		// kimi-k2.5 through Kimi's Batch API: 60 % of 0.10 / 0.60 / 3.00 -> 400k * 0.06 + 600k * 0.36 + 200k * 1.80
		assertThat(batch.cost("kimi-k2.5", usage).orElseThrow()).isEqualByComparingTo("0.60");
		// gpt-4o-mini through OpenAI's: half of 0.15 / 0.60, cache hits priced as other input (no batch cache-hit price)
		assertThat(batch.cost("gpt-4o-mini", usage).orElseThrow()).isEqualByComparingTo("0.135");
		assertThat(batch.cost("kimi-k2-0905-preview", usage)).isEmpty();
		assertThat(prices.batchPrice("kimi-k2-0905-preview")).isEmpty();
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

	@Test
	void knowsTheContextWindowsTheProvidersDocument() {
		assertThat(prices.contextTokens("kimi-k2.5")).hasValue(262_144);
		assertThat(prices.contextTokens("kimi-k2.6")).hasValue(262_144);
		assertThat(prices.contextTokens("kimi-k2-0905-preview")).hasValue(262_144);
		assertThat(prices.contextTokens("kimi-k2-0711-preview")).hasValue(131_072);
		assertThat(prices.contextTokens("some-new-model")).isEmpty();
	}

	@Test
	void pricesKimiK26FromItsOwnCacheHitInputAndOutputPrices() {
		// 0.16 cache hit / 0.95 input / 4.00 output per million
		BigDecimal cost = prices.cost("kimi-k2.6", new Usage(1_000_000, 1_000_000, 2_000_000, 500_000)).orElseThrow();

		// 500k * 0.16 + 500k * 0.95 + 1M * 4.00 = 0.08 + 0.475 + 4.00
		assertThat(cost).isEqualByComparingTo("4.555");
	}

	@Test
	void aUsersEntryReplacesTheModelsWindowAndCanAddOne(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
			throws Exception {
		java.nio.file.Path file = java.nio.file.Files.writeString(dir.resolve("p.json"), "{\"models\":{"
				+ "\"kimi-k2.5\":{\"input\":0.6,\"output\":3.0},"
				+ "\"local\":{\"input\":0,\"output\":0,\"context_tokens\":8192}}}");

		PriceTable merged = prices.withOverrides(file);

		assertThat(merged.contextTokens("kimi-k2.5")).isEmpty();
		assertThat(merged.contextTokens("local")).hasValue(8192);
		assertThat(merged.contextTokens("kimi-k2-0711-preview")).hasValue(131_072);
	}

	@Test
	void aContextWindowThatIsNotAWholeNumberIsRefusedNamingTheFile(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
			throws Exception {
		java.nio.file.Path file = java.nio.file.Files.writeString(dir.resolve("p.json"),
				"{\"models\":{\"local\":{\"input\":0,\"output\":0,\"context_tokens\":\"8k\"}}}");

		org.assertj.core.api.Assertions.assertThatThrownBy(() -> prices.withOverrides(file))
			.isInstanceOf(IllegalArgumentException.class)
			.hasMessageContaining(file.toString())
			.hasMessageContaining("context_tokens of local must be a whole number");
	}
}
