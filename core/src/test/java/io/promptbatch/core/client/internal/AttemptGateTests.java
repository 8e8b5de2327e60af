package io.promptbatch.core.client.internal;

import static io.promptbatch.core.client.internal.AttemptGate.RowSlot.perAttempt;
import static org.assertj.core.api.Assertions.assertThat;

import io.promptbatch.core.chat.Usage;
import io.promptbatch.core.client.ChatException;
import io.promptbatch.core.client.ChatResponse;
import io.promptbatch.core.client.RetriableChatException;
import io.promptbatch.core.limit.ConcurrencyLimit;
import io.promptbatch.core.limit.ManualTimer;
import io.promptbatch.core.limit.OutageBreaker;
import io.promptbatch.core.limit.ProviderOutageException;
import io.promptbatch.core.limit.RateLimiter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class AttemptGateTests {

	private static final ChatResponse ANSWER = new ChatResponse("c1", "m", "Hi", null, "stop", new Usage(40, 60, 100, 0),
			null);

	/** The gate's clock, in nanoseconds; it moves only when a test moves it. */
	private final AtomicLong now = new AtomicLong(TimeUnit.HOURS.toNanos(1));

	/** The waits the gate asked for; the waiting action runs at once. */
	private final List<Duration> waits = new ArrayList<>();

	private final AttemptGate.Delay delay = wait -> {
		waits.add(wait);
		return Runnable::run;
	};

	/** A timer that runs nothing by itself: the test runs what was scheduled. */
	private final ManualTimer timer = new ManualTimer();

	private final OutageBreaker breaker = new OutageBreaker(Duration.ofSeconds(5), timer, () -> "api.example",
			now::get);

	@AfterEach
	void stop() {
		timer.shutdownNow();
	}

	private static Supplier<CompletableFuture<ChatResponse>> answering(AtomicInteger sent) {
		return () -> {
			sent.incrementAndGet();
			return CompletableFuture.completedFuture(ANSWER);
		};
	}

	private static Supplier<CompletableFuture<ChatResponse>> failing(int status) {
		return () -> CompletableFuture.failedFuture(new RetriableChatException(status, "x", "failed", null, null, null));
	}

	@Test
	void pacesAttemptsEvenlyToTheRequestRate() {
		// given: 600 requests a minute, one every 100 ms
		AttemptGate gate = new AttemptGate(new RateLimiter(600, 1, now::get), null, breaker, null, delay);
		AtomicInteger sent = new AtomicInteger();

		// when: three attempts at the same instant
		for (int i = 0; i < 3; i++) {
			gate.attempt(0, answering(sent), perAttempt()).join();
		}

		// then: the first went at once, the others waited 100 and 200 ms
		assertThat(sent).hasValue(3);
		assertThat(waits).hasSize(2);
		assertThat(waits.get(0)).isBetween(Duration.ofNanos(99_999_000), Duration.ofMillis(100));
		assertThat(waits.get(1)).isBetween(Duration.ofNanos(199_999_000), Duration.ofMillis(200));
	}

	@Test
	void anAttemptThatMissedItsTurnTakesOneNewTurnRatherThanGoOutWithTheNextOnes() {
		// given: 600 requests a minute, and a process that runs each waiting attempt 80 ms after its turn (stalled)
		AttemptGate.Delay stalled = wait -> {
			waits.add(wait);
			return action -> {
				try {
					Thread.sleep(wait.toMillis() + 80);
				}
				catch (InterruptedException e) {
					Thread.currentThread().interrupt();
				}
				action.run();
			};
		};
		AttemptGate gate = new AttemptGate(new RateLimiter(600, 1, now::get), null, breaker, null, stalled);
		AtomicInteger sent = new AtomicInteger();

		// when: two attempts at the same instant
		gate.attempt(0, answering(sent), perAttempt()).join();
		gate.attempt(0, answering(sent), perAttempt()).join();

		// then: the second, late for its turn at 100 ms, took the next one at 200 ms, and then went (late or not)
		assertThat(sent).hasValue(2);
		assertThat(waits).hasSize(2);
		assertThat(waits.get(1)).isBetween(Duration.ofNanos(199_999_000), Duration.ofMillis(200));
	}

	@Test
	void attemptsTheBreakerHeldAndLetGoTogetherGoOutATurnApart() {
		// given: 600 requests a minute, one attempt in flight and a second that the server failed (503)
		AttemptGate gate = new AttemptGate(new RateLimiter(600, 1, now::get), null, breaker, null, delay);
		AtomicInteger sent = new AtomicInteger();
		CompletableFuture<ChatResponse> first = new CompletableFuture<>();
		CompletableFuture<ChatResponse> a = gate.attempt(0, () -> first, perAttempt());
		gate.attempt(0, failing(503), perAttempt()).handle((r, e) -> e).join();

		// when: two attempts are held for the verdict of the one in flight, their turns (200 and 300 ms) pass, and
		// its answer lets both go at once
		CompletableFuture<ChatResponse> c = gate.attempt(0, answering(sent), perAttempt());
		CompletableFuture<ChatResponse> d = gate.attempt(0, answering(sent), perAttempt());
		assertThat(sent).hasValue(0);
		assertThat(waits).hasSize(3);
		now.addAndGet(TimeUnit.SECONDS.toNanos(1));
		first.complete(ANSWER);

		// then: each took a new turn, the first at once and the second 100 ms later, rather than go out together
		assertThat(a.join()).isSameAs(ANSWER);
		assertThat(c.join()).isSameAs(ANSWER);
		assertThat(d.join()).isSameAs(ANSWER);
		assertThat(sent).hasValue(2);
		assertThat(waits.subList(3, waits.size())).singleElement()
			.satisfies(w -> assertThat(w).isBetween(Duration.ofNanos(99_999_000), Duration.ofMillis(100)));
	}

	@Test
	void givesBackTheTokensAnAttemptReservedButDidNotUse() {
		// given: 60,000 tokens a minute (1,000 a second)
		AttemptGate gate = new AttemptGate(null, new RateLimiter(60_000, 1, now::get), breaker, null, delay);
		AtomicInteger sent = new AtomicInteger();

		// when: an attempt reserves 500 tokens and the provider reports 100
		gate.attempt(500, answering(sent), perAttempt()).join();
		gate.attempt(1, answering(sent), perAttempt()).join();

		// then: the next waits for the 100 used, not the 500 reserved
		assertThat(waits).singleElement()
			.satisfies(w -> assertThat(w).isBetween(Duration.ofMillis(99), Duration.ofMillis(100)));
	}

	@Test
	void holdsAttemptsBeyondTheLimitUntilASlotIsFree() {
		AttemptGate gate = new AttemptGate(null, null, breaker, ConcurrencyLimit.fixed(1), delay);
		CompletableFuture<ChatResponse> first = new CompletableFuture<>();
		AtomicInteger sent = new AtomicInteger();

		CompletableFuture<ChatResponse> a = gate.attempt(0, () -> first, perAttempt());
		CompletableFuture<ChatResponse> b = gate.attempt(0, answering(sent), perAttempt());
		assertThat(sent).hasValue(0);

		first.complete(ANSWER);

		assertThat(a.join()).isSameAs(ANSWER);
		assertThat(b.join()).isSameAs(ANSWER);
		assertThat(sent).hasValue(1);
	}

	@Test
	void anAttemptThatCannotEvenStartGivesItsSlotBack() {
		ConcurrencyLimit limit = ConcurrencyLimit.fixed(1);
		AttemptGate gate = new AttemptGate(null, null, breaker, limit, delay);
		AtomicInteger sent = new AtomicInteger();

		// when: building the attempt throws (a header the HTTP library refuses, say)
		CompletableFuture<ChatResponse> broken = gate.attempt(0, () -> {
			throw new IllegalArgumentException("refused");
		}, perAttempt());

		// then: that attempt fails, and the one slot is free for the next
		assertThat(broken.handle((r, e) -> e).join()).hasRootCauseInstanceOf(IllegalArgumentException.class);
		assertThat(limit.inFlight()).isZero();
		assertThat(gate.attempt(0, answering(sent), perAttempt()).join()).isSameAs(ANSWER);
		assertThat(sent).hasValue(1);
	}

	@Test
	void tellsAnAdaptiveLimitWhenTheProviderIsOverloaded() {
		ConcurrencyLimit limit = ConcurrencyLimit.adaptive(8);
		AttemptGate gate = new AttemptGate(null, null, breaker, limit, delay);

		gate.attempt(0, failing(429), perAttempt()).handle((r, e) -> e).join();
		gate.attempt(0, failing(500), perAttempt()).handle((r, e) -> e).join();

		assertThat(limit.state().overloads()).isEqualTo(1);
		assertThat(limit.inFlight()).isZero();
	}

	@Test
	void holdsAttemptsWhileEighteenOfTheLastTwentyFailedOnTheServerAndProbesOnce() {
		// given: 2 answers and 18 server failures
		AttemptGate gate = new AttemptGate(null, null, breaker, null, delay);
		AtomicInteger sent = new AtomicInteger();
		gate.attempt(0, answering(sent), perAttempt()).join();
		gate.attempt(0, answering(sent), perAttempt()).join();
		for (int i = 0; i < 18; i++) {
			gate.attempt(0, failing(503), perAttempt()).handle((r, e) -> e).join();
		}

		// when: two more attempts
		CompletableFuture<ChatResponse> a = gate.attempt(0, answering(sent), perAttempt());
		CompletableFuture<ChatResponse> b = gate.attempt(0, answering(sent), perAttempt());

		// then: both wait; after the first pause (1 s) one probes, and its answer lets the other go
		assertThat(sent).hasValue(2);
		assertThat(timer.delays).containsExactly(TimeUnit.SECONDS.toNanos(1));
		timer.runScheduled();
		assertThat(a.join()).isSameAs(ANSWER);
		assertThat(b.join()).isSameAs(ANSWER);
		assertThat(sent).hasValue(4);
	}

	@Test
	void stopsForGoodWhenTheOutageOutlastsTheAllowedTime() {
		// given: 20 server failures open the breaker
		AttemptGate gate = new AttemptGate(null, null, breaker, null, delay);
		for (int i = 0; i < 20; i++) {
			gate.attempt(0, failing(500), perAttempt()).handle((r, e) -> e).join();
		}
		CompletableFuture<ChatResponse> waiting = gate.attempt(0, answering(new AtomicInteger()), perAttempt());

		// when: the probe is due 6 s later, past the 5 s allowed
		now.addAndGet(TimeUnit.SECONDS.toNanos(6));
		timer.runScheduled();

		// then
		Throwable failure = ChatException.unwrap(waiting.handle((r, e) -> e).join());
		assertThat(failure).isInstanceOf(ProviderOutageException.class)
			.hasMessageContaining("api.example")
			.hasMessageContaining("run the same command again when the provider is back");
	}
}
