package io.promptbatch.core.client;

import io.promptbatch.core.chat.ChatRequest;
import static org.assertj.core.api.Assertions.assertThat;

import io.promptbatch.core.chat.Message;
import io.promptbatch.simulator.ChatSimulator;
import io.promptbatch.simulator.SimulatorConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class RateLimitIntegrationTests {

	private static List<ChatOutcome> sendAll(ChatClient client, int n) {
		List<CompletableFuture<ChatOutcome>> futures = new ArrayList<>();
		for (int i = 0; i < n; i++) {
			futures.add(client.send(new ChatRequest("kimi-k2.5", List.of(Message.user("rate " + i)), 20, null)));
		}
		return futures.stream().map(CompletableFuture::join).toList();
	}

	@Test
	void keepsUnderTheServersRequestRateWithoutA429() throws Exception {
		// given: a server allowing 24 requests in any second, and a client paced at 1,200 a minute (20/s)
		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder().requestsPerMinute(24 * 60).build());
				ChatClient client = ChatClient.builder().baseUrl(sim.baseUrl()).requestsPerMinute(1200).build()) {
			long start = System.nanoTime();

			// when: 60 requests all at once
			List<ChatOutcome> outcomes = sendAll(client, 60);
			double seconds = (System.nanoTime() - start) / 1e9;

			// then
			assertThat(outcomes).allMatch(o -> o instanceof ChatOutcome.Answered);
			assertThat(sim.counters().status(429)).isZero();
			assertThat(seconds).isGreaterThanOrEqualTo(59 / 20.0 - 0.05);
		}
	}

	@Test
	void keepsToTheTokenRateCorrectedByReportedUsage() throws Exception {
		// given: 500 tokens a second (a burst of one second's worth allowed)
		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder().build());
				ChatClient client = ChatClient.builder().baseUrl(sim.baseUrl()).tokensPerMinute(30_000).build()) {
			long start = System.nanoTime();

			List<ChatOutcome> outcomes = sendAll(client, 100);
			double seconds = (System.nanoTime() - start) / 1e9;

			long total = outcomes.stream().mapToLong(o -> ((ChatOutcome.Answered) o).response().usage().totalTokens()).sum();
			// never faster than the rate allows for the tokens actually used
			assertThat(total).isGreaterThan(1000);
			assertThat(seconds).isGreaterThanOrEqualTo((total - 500) / 500.0 * 0.95);
		}
	}
}
