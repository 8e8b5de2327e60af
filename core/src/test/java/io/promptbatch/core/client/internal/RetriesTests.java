package io.promptbatch.core.client.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.failsafe.Failsafe;

import io.promptbatch.core.client.NonRetriableChatException;
import io.promptbatch.core.client.RetriableChatException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class RetriesTests {

	private final Retries retries = new Retries(Duration.ofMillis(100), Duration.ofMillis(1000));

	@Test
	void waitsAtLeastWhatTheProviderAskedAndAtMostAFifthMore() {
		RetriableChatException tooMany = new RetriableChatException(429, "rate_limit", "slow down", null,
				Duration.ofSeconds(2), null);

		for (int i = 0; i < 200; i++) {
			assertThat(retries.delay(tooMany, 1)).isBetween(Duration.ofMillis(2000), Duration.ofMillis(2400));
		}
	}

	@Test
	void drawsTheBackoffBelowACapThatDoublesPerAttemptUpToTheMaximum() {
		RetriableChatException down = new RetriableChatException(500, "api_error", "down", null, null, null);
		long[] highest = new long[6];
		for (int i = 0; i < 2000; i++) {
			for (int attempt = 1; attempt <= 5; attempt++) {
				highest[attempt] = Math.max(highest[attempt], retries.delay(down, attempt).toMillis());
			}
		}

		assertThat(highest[1]).isBetween(80L, 100L);
		assertThat(highest[2]).isBetween(160L, 200L);
		assertThat(highest[3]).isBetween(320L, 400L);
		assertThat(highest[4]).isBetween(640L, 800L);
		assertThat(highest[5]).isBetween(800L, 1000L);
	}

	@Test
	void retriesRetriableFailuresUpToTheLimitAndNothingElse() {
		var failsafe = Failsafe.with(Retries.policy(3, Duration.ofMinutes(1), Duration.ZERO, Duration.ZERO));
		AtomicInteger calls = new AtomicInteger();

		// when: a server that always fails with a 500, and one that refuses the request
		assertThatThrownBy(() -> failsafe.get(() -> {
			calls.incrementAndGet();
			throw new RetriableChatException(500, "api_error", "down", null, null, null);
		})).isInstanceOf(RetriableChatException.class);
		int retried = calls.getAndSet(0);
		assertThatThrownBy(() -> failsafe.get(() -> {
			calls.incrementAndGet();
			throw new NonRetriableChatException(400, "bad_request", "bad", null, null);
		})).isInstanceOf(NonRetriableChatException.class);

		// then: the first attempt and three retries; one attempt
		assertThat(retried).isEqualTo(4);
		assertThat(calls).hasValue(1);
	}
}
