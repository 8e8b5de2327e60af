package io.promptbatch.core.stats;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import org.junit.jupiter.api.Test;

class RowTallyTests {

	@Test
	void countsWhatWasSentAndAnsweredAndACachedRowOnlyAsARow() {
		RowTally tally = new RowTally();
		// answered at the second attempt, priced
		tally.add(true, false, 10, 20, new BigDecimal("0.003"), 2, 150);
		// answered, no price for its model
		tally.add(true, false, 5, 7, null, 1, 90);
		// failed after three attempts: no tokens, no cost, but its retries and its wait
		tally.add(false, false, 99, 99, new BigDecimal("9"), 3, 4000);
		// from the cache: nothing sent, paid or waited for
		tally.add(true, true, 50, 60, new BigDecimal("1"), 1, 7);

		assertThat(tally.rows()).isEqualTo(4);
		assertThat(tally.ok()).isEqualTo(3);
		assertThat(tally.failed()).isEqualTo(1);
		assertThat(tally.cached()).isEqualTo(1);
		assertThat(tally.promptTokens()).isEqualTo(15);
		assertThat(tally.completionTokens()).isEqualTo(27);
		assertThat(tally.cost()).isEqualByComparingTo("0.003");
		assertThat(tally.unpriced()).isEqualTo(1);
		assertThat(tally.retries()).isEqualTo(3);
		assertThat(tally.latency().count()).isEqualTo(3);
		assertThat(tally.latency().percentile(100)).isGreaterThanOrEqualTo(4000);
	}

	@Test
	void goesOnFromSumsSavedEarlier() {
		LatencyHistogram latency = new LatencyHistogram();
		latency.add(100);
		RowTally tally = RowTally.of(3, 1, 1, 30, 40, 2, 0, new BigDecimal("0.01"), latency);

		tally.add(true, false, 1, 2, new BigDecimal("0.005"), 1, 200);

		assertThat(tally.rows()).isEqualTo(5);
		assertThat(tally.ok()).isEqualTo(4);
		assertThat(tally.cached()).isEqualTo(1);
		assertThat(tally.promptTokens()).isEqualTo(31);
		assertThat(tally.completionTokens()).isEqualTo(42);
		assertThat(tally.retries()).isEqualTo(2);
		assertThat(tally.cost()).isEqualByComparingTo("0.015");
		assertThat(tally.latency().count()).isEqualTo(2);
	}
}
