package io.promptbatch.core.client;

import io.promptbatch.core.chat.ChatRequest;
import static org.assertj.core.api.Assertions.assertThat;

import io.promptbatch.core.chat.Message;
import io.promptbatch.core.client.ScriptedServer.Reply;
import io.promptbatch.simulator.ChatSimulator;
import io.promptbatch.simulator.SimulatorConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class OutageIntegrationTests {

	private static final String DOWN = "{\"error\":{\"message\":\"Service Unavailable\",\"type\":\"server_error\"}}";

	private static List<ChatOutcome> sendAll(ChatClient client, int n) {
		List<CompletableFuture<ChatOutcome>> futures = new ArrayList<>();
		for (int i = 0; i < n; i++) {
			futures.add(client.send(new ChatRequest("m", List.of(Message.user("q" + i)), null, null)));
		}
		return futures.stream().map(CompletableFuture::join).toList();
	}

	private static ChatClient client(ScriptedServer server, Duration maxOutage) {
		return ChatClient.builder()
			.baseUrl(server.baseUrl())
			.maxRetries(100)
			.backoff(Duration.ofMillis(10), Duration.ofMillis(50))
			.maxOutage(maxOutage)
			.build();
	}

	@Test
	void pausesDuringAnOutageInsteadOfBurningRetriesAndResumesWhenTheProviderIsBack() throws Exception {
		// given: a provider down (503 for everything) for its first 2.5 seconds
		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder().build());
				ChatClient client = ChatClient.builder()
					.baseUrl(sim.baseUrl())
					.maxRetries(100)
					.backoff(Duration.ofMillis(10), Duration.ofMillis(50))
					.maxOutage(Duration.ofMinutes(1))
					.build()) {
			sim.failFrom(1, 503);
			java.util.concurrent.CompletableFuture.delayedExecutor(2500, java.util.concurrent.TimeUnit.MILLISECONDS)
				.execute(sim::recover);

			// when: 40 rows, each allowed 100 retries
			List<ChatOutcome> outcomes = sendAll(client, 40);

			// then: all answered, with a handful of failed requests, not 40 rows retrying for 2.5 s each
			assertThat(outcomes).allMatch(o -> o instanceof ChatOutcome.Answered);
			// each row's first attempt (40) and the probe at about 1 s (the next, at about 3 s, finds the provider back);
			// no retry goes out while the failures that open the breaker arrive (the breaker holds attempts after a
			// server failure while others are in flight): 41 in 8 of 10 runs at load 21, 40 and 37 in the others (the
			// last rows' first attempts held until the provider was back), 37 to 41 in 18 later runs; rows retrying
			// through the outage would be thousands. The margin of 10 is for a busy machine: a hold ends after 1 s, or
			// when nothing is in flight while the test is still submitting rows, and each retry let go then is one
			// more 503
			assertThat(sim.counters().status(503)).isLessThanOrEqualTo(40 + 10);
			assertThat(sim.counters().status(200)).isEqualTo(40);
		}
	}

	@Test
	void stopsForGoodWhenTheOutageOutlastsTheAllowedTime() throws Exception {
		try (ScriptedServer server = new ScriptedServer(Reply.of(503, DOWN));
				ChatClient client = client(server, Duration.ofSeconds(2))) {
			long start = System.nanoTime();
			List<ChatOutcome> outcomes = sendAll(client, 40);
			double seconds = (System.nanoTime() - start) / 1e9;

			assertThat(outcomes).allMatch(o -> o instanceof ChatOutcome.Failed f && f.error() instanceof FatalChatException
					&& "provider_outage".equals(f.error().code()));
			assertThat(((ChatOutcome.Failed) outcomes.get(0)).error().getMessage())
				.contains("run the same command again when the provider is back");
			// paused, probing now and then: not 40 rows x 101 attempts
			assertThat(server.requests()).isLessThan(120);
			assertThat(seconds).isLessThan(30);
		}
	}
}
