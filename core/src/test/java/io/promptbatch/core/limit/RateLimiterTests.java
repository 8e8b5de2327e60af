package io.promptbatch.core.limit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RateLimiterTests {

	/** The limiter's clock, in nanoseconds; it moves only when a test moves it. */
	private final AtomicLong now = new AtomicLong(TimeUnit.HOURS.toNanos(1));

	@Test
	void spacesRequestsEvenlyAtTheRate() {
		RateLimiter limiter = new RateLimiter(600, 1, now::get);

		Duration first = limiter.reserve(1);
		Duration second = limiter.reserve(1);
		Duration tenth = Duration.ZERO;
		for (int i = 3; i <= 10; i++) {
			tenth = limiter.reserve(1);
		}

		assertThat(first).isZero();
		assertThat(second).isBetween(Duration.ofMillis(95), Duration.ofMillis(100));
		assertThat(tenth).isBetween(Duration.ofMillis(895), Duration.ofMillis(900));
	}

	@Test
	void chargesByCostAndTakesCorrectionsIntoAccount() {
		RateLimiter limiter = new RateLimiter(60_000, 1, now::get);

		limiter.reserve(500);
		limiter.adjust(-250);
		Duration next = limiter.reserve(1);

		// 1,000 tokens a second: 500 reserved, 250 given back, so the next waits about 250 ms
		assertThat(next).isBetween(Duration.ofMillis(240), Duration.ofMillis(250));
	}

	@Test
	void allowsABurstAfterAnIdleTime() {
		RateLimiter limiter = new RateLimiter(60, 5, now::get);
		now.addAndGet(TimeUnit.MILLISECONDS.toNanos(50));

		for (int i = 0; i < 5; i++) {
			assertThat(limiter.reserve(1)).isZero();
		}
		assertThat(limiter.reserve(1)).isPositive();
	}

	@Test
	void aWaitShrinksAsTheClockMovesOn() {
		// given: 600 a minute, one every 100 ms, the first slot taken
		RateLimiter limiter = new RateLimiter(600, 1, now::get);
		limiter.reserve(1);

		// when: 60 ms pass before the next asks
		now.addAndGet(TimeUnit.MILLISECONDS.toNanos(60));

		// then: it waits the 40 ms left (less a nanosecond of rounding), not another 100
		assertThat(limiter.reserve(1)).isBetween(Duration.ofNanos(39_999_000), Duration.ofMillis(40));
	}
}
