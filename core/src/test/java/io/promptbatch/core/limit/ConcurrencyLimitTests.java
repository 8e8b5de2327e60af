package io.promptbatch.core.limit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ConcurrencyLimitTests {

	/** Simulated time: each round every slot of the limit is used once, 50 ms per round. */
	private long now;

	private long requests;

	private long refused;

	private long served;

	/** So many rounds against a provider of a capacity. */
	private void rounds(ConcurrencyLimit limit, int count, int capacity) {
		for (int r = 0; r < count; r++) {
			round(limit, capacity);
		}
	}

	/**
	 * One round of 50 ms: as many requests as the limit allows, of which the provider refuses those
	 * above its capacity (as a 429); then the answers come back.
	 */
	private void round(ConcurrencyLimit limit, int capacity) {
		int sent = limit.limit();
		for (int i = 0; i < sent; i++) {
			assertThat(limit.acquireAsync()).isDone();
		}
		for (int i = 0; i < sent; i++) {
			boolean overloaded = i >= capacity;
			requests++;
			if (overloaded) {
				refused++;
			}
			else {
				served++;
			}
			limit.onAttempt(overloaded);
			limit.release();
		}
		now += TimeUnit.MILLISECONDS.toNanos(50);
	}

	@Test
	void staysJustBelowAProvidersHardLimitWithRareProbes() {
		// given: a provider that takes 8 requests at a time and refuses the rest with 429
		ConcurrencyLimit limit = ConcurrencyLimit.adaptive(256, () -> now);

		// when: two minutes of rounds
		rounds(limit, 2400, 8);

		// then: nearly every round is served at the full 8 (a plain AIMD that cuts by a fifth and climbs back
		// one step at a time averages about 7.5, i.e. 94 %), and refusals are rare
		double servedPerRound = (double) served / 2400;
		assertThat(servedPerRound).isGreaterThan(7.8);
		assertThat((double) refused / requests).isLessThan(0.01);
		assertThat(limit.limit()).isBetween(7, 9);
	}

	@Test
	void findsMoreCapacityWhenTheProviderGivesMore() {
		// given: a provider at 8 for a minute, which then takes 32
		ConcurrencyLimit limit = ConcurrencyLimit.adaptive(256, () -> now);
		rounds(limit, 1200, 8);
		assertThat(limit.limit()).isBetween(7, 9);

		// when: another minute at the new capacity
		rounds(limit, 800, 32);
		long servedBefore = served;
		rounds(limit, 400, 32);

		// then: a probe held, the old ceiling is forgotten and the last 20 s run near the new capacity
		assertThat((double) (served - servedBefore) / 400).isGreaterThan(28);
	}

	@Test
	void followsAProviderThatTakesLess() {
		// given: a provider at 16 for a minute, then at 4
		ConcurrencyLimit limit = ConcurrencyLimit.adaptive(256, () -> now);
		rounds(limit, 1200, 16);
		assertThat(limit.limit()).isBetween(14, 17);

		// when
		rounds(limit, 600, 4);
		long refusedBefore = refused;
		long requestsBefore = requests;
		rounds(limit, 600, 4);

		// then: down to the new capacity within half a minute, with rare refusals after that
		assertThat(limit.limit()).isBetween(3, 5);
		assertThat((double) (refused - refusedBefore) / (requests - requestsBefore)).isLessThan(0.01);
	}

	@Test
	void aLowerShareTakesNoNewRowUntilThoseBeyondItLandAndAHigherOneGivesWaitingRowsTheirSlots() {
		// given: a fixed limit of 4, all in flight
		ConcurrencyLimit limit = ConcurrencyLimit.fixed(4);
		for (int i = 0; i < 4; i++) {
			assertThat(limit.acquireAsync()).isDone();
		}

		// when: its share drops to 2
		limit.resize(2);
		java.util.concurrent.CompletableFuture<Void> waiting = limit.acquireAsync();

		// then: the rows in flight stay, and a new one waits until fewer than 2 are in flight
		assertThat(limit.inFlight()).isEqualTo(4);
		limit.release();
		limit.release();
		assertThat(waiting).isNotDone();
		limit.release();
		assertThat(waiting).isDone();
		// and: a share of 0 gives nothing until it is raised, which hands the waiting rows their slots at once
		limit.resize(0);
		java.util.concurrent.CompletableFuture<Void> next = limit.acquireAsync();
		limit.release();
		limit.release();
		assertThat(next).isNotDone();
		limit.resize(3);
		assertThat(next).isDone();
		assertThat(limit.max()).isEqualTo(3);
	}

	@Test
	void anAdaptiveLimitStaysWhereItIsBelowItsNewShare() {
		// given: an adaptive limit that starts at 4 of at most 32
		ConcurrencyLimit limit = ConcurrencyLimit.adaptive(32);

		// when: its share becomes 10, then 2
		limit.resize(10);
		int atTen = limit.limit();
		limit.resize(2);

		// then: it stayed at 4 below 10, and came down to 2
		assertThat(atTen).isEqualTo(4);
		assertThat(limit.limit()).isEqualTo(2);
		assertThat(limit.max()).isEqualTo(2);
	}
}
