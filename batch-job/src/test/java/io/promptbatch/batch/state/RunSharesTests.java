package io.promptbatch.batch.state;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** How a run's concurrency is split among the partitions running. */
class RunSharesTests {

	@Test
	void theConcurrencyIsSplitEvenlyTheFirstPartitionsTakingTheRemainder() {
		// 8 among 3: 3, 3, 2
		assertThat(RunShares.slots(8, 8, 3, 0, 0)).isEqualTo(3);
		assertThat(RunShares.slots(8, 8, 3, 1, 3)).isEqualTo(3);
		assertThat(RunShares.slots(8, 8, 3, 2, 6)).isEqualTo(2);
	}

	@Test
	void aPartitionTakesNoMoreThanTheOthersLeaveNorItsOwnCap() {
		// the others still hold 7 of 8: one slot now, the rest when they give them up
		assertThat(RunShares.slots(8, 8, 2, 1, 7)).isEqualTo(1);
		assertThat(RunShares.slots(8, 8, 2, 1, 8)).isZero();
		// a worker allowing 2 in flight
		assertThat(RunShares.slots(8, 2, 2, 0, 0)).isEqualTo(2);
	}

	@Test
	void morePartitionsThanTheConcurrencyEachHaveOne() {
		assertThat(RunShares.slots(2, 8, 3, 2, 2)).isEqualTo(1);
	}
}
