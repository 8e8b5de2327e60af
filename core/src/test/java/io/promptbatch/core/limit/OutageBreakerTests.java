package io.promptbatch.core.limit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class OutageBreakerTests {

	private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

	private final AtomicLong now = new AtomicLong(TimeUnit.HOURS.toNanos(1));

	private final ManualTimer timer = new ManualTimer();

	private final OutageBreaker breaker = new OutageBreaker(Duration.ofMinutes(1), timer, () -> "api.example",
			now::get);

	@AfterEach
	void stop() {
		timer.shutdownNow();
	}

	/** {@code n} attempts let go at once, as a window of rows sends its first attempts. */
	private List<CompletableFuture<Void>> inFlight(int n) {
		List<CompletableFuture<Void>> permits = new ArrayList<>();
		for (int i = 0; i < n; i++) {
			permits.add(breaker.permit());
		}
		assertThat(permits).allMatch(CompletableFuture::isDone);
		return permits;
	}

	@Test
	void afterAServerFailureAnAttemptWaitsForTheNextOutcomeOfThoseInFlight() {
		// given: two attempts in flight, one fails on the server's side
		inFlight(2);
		breaker.record(true);

		// when: the failed row's retry asks to go
		CompletableFuture<Void> retry = breaker.permit();

		// then: it waits for the other attempt's verdict, and goes when that one is answered
		assertThat(retry).isNotDone();
		breaker.record(false);
		assertThat(retry).isCompleted();
	}

	@Test
	void attemptsHeldAtTheStartOfAnOutageWaitForTheProbeInsteadOfFailingAgain() {
		// given: 40 rows in flight against a provider that is down; the first failure arrives
		inFlight(40);
		breaker.record(true);
		List<CompletableFuture<Void>> retries = new ArrayList<>();
		for (int i = 1; i < 20; i++) {
			// when: each failed row's retry asks to go before the next failure arrives
			retries.add(breaker.permit());
			breaker.record(true);
		}
		retries.add(breaker.permit());

		// then: none went while the failures that open the breaker arrived; the breaker is open (20 of 20 failed)
		assertThat(retries).noneMatch(CompletableFuture::isDone);
		assertThat(breaker.outage()).isPresent();
		// the rest of the first attempts fail too; then one probe, whose answer lets every other retry go
		for (int i = 20; i < 40; i++) {
			breaker.record(true);
		}
		timer.runScheduled();
		assertThat(retries.stream().filter(CompletableFuture::isDone)).hasSize(1);
		breaker.record(false);
		assertThat(retries).allMatch(CompletableFuture::isDone);
		assertThat(breaker.outage()).isEmpty();
	}

	@Test
	void aHeldAttemptGoesWhenNothingIsInFlightAnyMore() {
		// given: two attempts in flight, the first fails, a retry is held
		inFlight(2);
		breaker.record(true);
		CompletableFuture<Void> retry = breaker.permit();

		// when: the other one fails too (two failures open nothing: there is nothing more to wait for)
		breaker.record(true);

		// then
		assertThat(retry).isCompleted();
		assertThat(breaker.outage()).isEmpty();
	}

	@Test
	void aHeldAttemptWaitsASecondAtMost() {
		// given: a retry held while another attempt is still in flight
		inFlight(2);
		breaker.record(true);
		CompletableFuture<Void> retry = breaker.permit();

		// when: a second passes with no other outcome
		assertThat(timer.delays).containsExactly(SECOND);
		timer.runScheduled();

		// then
		assertThat(retry).isCompleted();
	}

	@Test
	void anAttemptGoesAtOnceWhenTheLastOutcomeWasAnAnswerOrNothingIsInFlight() {
		// given: an answer after a failure, with another attempt in flight
		inFlight(3);
		breaker.record(true);
		breaker.record(false);
		assertThat(breaker.permit()).isCompleted();

		// given: a failure with nothing else in flight
		breaker.record(true);
		breaker.record(true);
		assertThat(breaker.permit()).isCompleted();
		assertThat(timer.delays).isEmpty();
	}
}
