package io.promptbatch.core.limit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RateLimiterTests {

	@Test
	void spacesRequestsEvenlyAtTheRate() {
		RateLimiter limiter = new RateLimiter(600, 1);

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
		RateLimiter limiter = new RateLimiter(60_000, 1);

		limiter.reserve(500);
		limiter.adjust(-250);
		Duration next = limiter.reserve(1);

		// 1,000 tokens a second: 500 reserved, 250 given back, so the next waits about 250 ms
		assertThat(next).isBetween(Duration.ofMillis(240), Duration.ofMillis(250));
	}

	@Test
	void allowsABurstAfterAnIdleTime() throws Exception {
		RateLimiter limiter = new RateLimiter(60, 5);
		Thread.sleep(50);

		for (int i = 0; i < 5; i++) {
			assertThat(limiter.reserve(1)).isZero();
		}
		assertThat(limiter.reserve(1)).isPositive();
	}
}
