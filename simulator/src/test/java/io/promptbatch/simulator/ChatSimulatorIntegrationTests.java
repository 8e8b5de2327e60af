package io.promptbatch.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class ChatSimulatorIntegrationTests {

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

	private HttpResponse<String> post(ChatSimulator sim, String body, String key) throws Exception {
		HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(sim.baseUrl() + "/chat/completions"))
			.timeout(Duration.ofSeconds(5))
			.POST(HttpRequest.BodyPublishers.ofString(body));
		if (key != null) {
			request.header("Authorization", "Bearer " + key);
		}
		return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
	}

	private static String chat(String prompt, String extra) {
		return "{\"model\":\"kimi-k2-thinking\",\"messages\":[{\"role\":\"user\",\"content\":\"" + prompt + "\"}]" + extra
				+ "}";
	}

	@Test
	void answersDeterministicallyWithUsageAndReasoningForThinkingModels() throws Exception {
		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder().build())) {
			HttpResponse<String> response = post(sim, chat("Hello there", ""), null);

			assertThat(response.statusCode()).isEqualTo(200);
			JsonNode body = JSON.readTree(response.body());
			JsonNode message = body.path("choices").path(0).path("message");
			assertThat(message.path("content").asString()).isEqualTo(SimulatedAnswers.answerFor("Hello there"));
			assertThat(message.path("reasoning_content").asString()).isEqualTo(SimulatedAnswers.reasoningFor("Hello there"));
			assertThat(body.path("usage").path("prompt_tokens").asInt())
				.isEqualTo(SimulatedAnswers.promptTokensFor(List.of("Hello there")));
			assertThat(body.path("choices").path(0).path("finish_reason").asString()).isEqualTo("stop");
		}
	}

	/** Completion tokens and finish reason of the simulator's answer to a thinking model's request. */
	private String completion(ChatSimulator sim, String extra) throws Exception {
		JsonNode body = JSON.readTree(post(sim, chat("Tell me a long story about caps", extra), null).body());
		return body.path("usage").path("completion_tokens").asInt() + " "
				+ body.path("choices").path(0).path("finish_reason").asString();
	}

	@Test
	void honoursTheCapFieldsItIsConfiguredToReadAndIgnoresTheOthers() throws Exception {
		int uncapped = SimulatedAnswers.completionTokensFor(SimulatedAnswers.answerFor("Tell me a long story about caps"))
				+ SimulatedAnswers.completionTokensFor(SimulatedAnswers.reasoningFor("Tell me a long story about caps"));
		try (ChatSimulator both = ChatSimulator.start(SimulatorConfig.builder().build());
				ChatSimulator k26 = ChatSimulator.start(SimulatorConfig.builder()
					.capFields(CapFields.MAX_COMPLETION_TOKENS_ONLY)
					.build());
				ChatSimulator old = ChatSimulator.start(SimulatorConfig.builder().capFields(CapFields.MAX_TOKENS_ONLY).build());
				ChatSimulator none = ChatSimulator.start(SimulatorConfig.builder().capFields(CapFields.NONE).build())) {
			// the cap counts reasoning and answer together
			assertThat(completion(both, ",\"max_tokens\":8")).isEqualTo("8 length");
			assertThat(completion(both, ",\"max_completion_tokens\":9")).isEqualTo("9 length");
			assertThat(completion(k26, ",\"max_tokens\":8")).isEqualTo(uncapped + " stop");
			assertThat(completion(k26, ",\"max_completion_tokens\":9")).isEqualTo("9 length");
			assertThat(completion(old, ",\"max_tokens\":8")).isEqualTo("8 length");
			assertThat(completion(old, ",\"max_completion_tokens\":9")).isEqualTo(uncapped + " stop");
			assertThat(completion(none, ",\"max_tokens\":8,\"max_completion_tokens\":9")).isEqualTo(uncapped + " stop");
			// a cap shorter than the reasoning cuts the reasoning and leaves no answer
			assertThat(completion(both, ",\"max_tokens\":2")).isEqualTo("2 length");
			assertThat(uncapped).isGreaterThan(9);
		}
	}

	@Test
	void streamsServerSentEventsEndingWithDoneAndUsageWhenAsked() throws Exception {
		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder().build())) {
			HttpResponse<String> response = post(sim,
					chat("Stream me", ",\"stream\":true,\"stream_options\":{\"include_usage\":true}"), null);

			assertThat(response.headers().firstValue("Content-Type")).hasValue("text/event-stream");
			List<String> data = new ArrayList<>();
			for (String line : response.body().split("\n")) {
				if (line.startsWith("data: ")) {
					data.add(line.substring(6));
				}
			}
			assertThat(data.get(data.size() - 1)).isEqualTo("[DONE]");
			StringBuilder content = new StringBuilder();
			for (String d : data.subList(0, data.size() - 1)) {
				JsonNode delta = JSON.readTree(d).path("choices").path(0).path("delta");
				content.append(delta.path("content").asString(""));
			}
			assertThat(content.toString()).isEqualTo(SimulatedAnswers.answerFor("Stream me"));
			JsonNode usageChunk = JSON.readTree(data.get(data.size() - 2));
			assertThat(usageChunk.path("choices").isEmpty()).isTrue();
			assertThat(usageChunk.path("usage").path("total_tokens").asInt()).isPositive();
		}
	}

	@Test
	void streamsAnswersOfTheConfiguredLengthAtTheConfiguredPaceAndCountsTheChunks() throws Exception {
		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder().answerTokens(40).chunksPerSecond(100).build());
				ChatSimulator shortAnswers = ChatSimulator.start(SimulatorConfig.builder().answerTokens(3).build())) {
			long started = System.nanoTime();
			HttpResponse<String> response = post(sim,
					chat("Stream me", ",\"stream\":true,\"stream_options\":{\"include_usage\":true}"), null);
			long millis = (System.nanoTime() - started) / 1_000_000;

			List<String> data = new ArrayList<>();
			for (String line : response.body().split("\n")) {
				if (line.startsWith("data: ")) {
					data.add(line.substring(6));
				}
			}
			assertThat(data.get(data.size() - 1)).isEqualTo("[DONE]");
			StringBuilder content = new StringBuilder();
			int contentChunks = 0;
			for (String d : data.subList(0, data.size() - 1)) {
				JsonNode delta = JSON.readTree(d).path("choices").path(0).path("delta");
				if (delta.has("content")) {
					contentChunks++;
					content.append(delta.path("content").asString());
				}
			}
			// one chunk per token; the streamed text is the answer a plain request gets
			assertThat(contentChunks).isEqualTo(40);
			JsonNode plain = JSON.readTree(post(sim, chat("Stream me", ""), null).body());
			assertThat(plain.path("usage").path("completion_tokens").asInt() - SimulatedAnswers.completionTokensFor(
					SimulatedAnswers.reasoningFor("Stream me"))).isEqualTo(40);
			assertThat(content.toString()).isEqualTo(plain.path("choices").path(0).path("message").path("content").asString())
				.startsWith(SimulatedAnswers.answerFor("Stream me"));
			// role, 40 pieces, finish and usage: 43 chunks, 42 intervals of 10 ms at the least
			assertThat(sim.counters().streamChunks()).isEqualTo(43);
			assertThat(millis).isGreaterThanOrEqualTo(420);
			assertThat(JSON.readTree(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + sim.port() + "/counters")).build(),
					HttpResponse.BodyHandlers.ofString()).body()).path("stream_chunks").asLong()).isEqualTo(43);
			// a shorter length cuts the usual answer
			JsonNode cut = JSON.readTree(post(shortAnswers, chat("Stream me", ""), null).body());
			assertThat(cut.path("choices").path(0).path("message").path("content").asString())
				.isEqualTo(String.join("", java.util.Arrays.copyOf(SimulatedAnswers.pieces(SimulatedAnswers.answerFor("Stream me")), 3)).strip());
			assertThat(cut.path("choices").path(0).path("finish_reason").asString()).isEqualTo("stop");
		}
	}

	@Test
	void requiresTheKeyWhenConfigured() throws Exception {
		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder().requiredKey("k1").build())) {
			assertThat(post(sim, chat("x", ""), "wrong").statusCode()).isEqualTo(401);
			assertThat(post(sim, chat("x", ""), "k1").statusCode()).isEqualTo(200);
			assertThat(sim.counters().status(401)).isEqualTo(1);
		}
	}

	@Test
	void answers429AboveItsInFlightLimitAndCountsThePeak() throws Exception {
		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder()
			.latency(Latency.fixed(Duration.ofMillis(300)))
			.maxInFlight(3)
			.build())) {
			List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
			for (int i = 0; i < 6; i++) {
				calls.add(http.sendAsync(HttpRequest.newBuilder(URI.create(sim.baseUrl() + "/chat/completions"))
					.POST(HttpRequest.BodyPublishers.ofString(chat("p" + i, "")))
					.build(), HttpResponse.BodyHandlers.ofString()));
			}
			long ok = calls.stream().map(CompletableFuture::join).filter(r -> r.statusCode() == 200).count();
			long limited = calls.stream().map(CompletableFuture::join).filter(r -> r.statusCode() == 429).count();

			assertThat(ok).isEqualTo(3);
			assertThat(limited).isEqualTo(3);
			assertThat(sim.counters().peakInFlight()).isGreaterThanOrEqualTo(3);
		}
	}

	@Test
	void measuresHowFullTheClientKeptItsSlotsWhileSending() throws Exception {
		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder()
			.latency(Latency.fixed(Duration.ofMillis(600)))
			.build())) {
			// two in flight from the first arrival until the last pair arrives 300 ms later
			List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
			for (int round = 0; round < 2; round++) {
				if (round == 1) {
					Thread.sleep(300);
				}
				for (int i = 0; i < 2; i++) {
					calls.add(http.sendAsync(HttpRequest.newBuilder(URI.create(sim.baseUrl() + "/chat/completions"))
						.POST(HttpRequest.BodyPublishers.ofString(chat("m" + round + i, "")))
						.build(), HttpResponse.BodyHandlers.ofString()));
				}
			}
			calls.forEach(CompletableFuture::join);

			assertThat(sim.counters().sendingMillis()).isBetween(250d, 600d);
			// two in flight the whole window, less where a pair's second request arrives after its first: on a
			// loaded machine that took 75 ms of the 300 (1.75); one in flight, or four, is far outside
			assertThat(sim.counters().meanInFlightWhileSending()).isBetween(1.5, 2.25);
			JsonNode json = JSON.readTree(http.send(
					HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + sim.port() + "/counters")).build(),
					HttpResponse.BodyHandlers.ofString()).body());
			assertThat(json.path("mean_in_flight_while_sending").asDouble())
				.isCloseTo(sim.counters().meanInFlightWhileSending(), within(0.0005));
		}
	}

	@Test
	void limitsRequestsPerSecond() throws Exception {
		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder().requestsPerMinute(300).build())) {
			int ok = 0;
			for (int i = 0; i < 8; i++) {
				if (post(sim, chat("r" + i, ""), null).statusCode() == 200) {
					ok++;
				}
			}
			assertThat(ok).isEqualTo(5);
			assertThat(sim.counters().status(429)).isEqualTo(3);
		}
	}

	@Test
	void failsSomeStreamsInTheMiddleWithAnErrorEventAndNoDone() throws Exception {
		// given: every stream fails
		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder().rateStreamError(1.0).build())) {
			// when
			HttpResponse<String> streamed = post(sim, chat("Stream me until it breaks", ",\"stream\":true"), null);
			HttpResponse<String> plain = post(sim, chat("Stream me until it breaks", ""), null);

			// then: some content, then the error event last, no [DONE]
			assertThat(streamed.statusCode()).isEqualTo(200);
			List<String> data = new ArrayList<>();
			for (String line : streamed.body().split("\n")) {
				if (line.startsWith("data: ")) {
					data.add(line.substring(6));
				}
			}
			assertThat(data).doesNotContain("[DONE]");
			JsonNode error = JSON.readTree(data.get(data.size() - 1)).path("error");
			assertThat(error.path("code").isNumber()).isTrue();
			assertThat(error.path("code").asInt()).isEqualTo(500);
			assertThat(error.path("type").asString()).isEqualTo("server_error");
			StringBuilder content = new StringBuilder();
			for (String d : data.subList(0, data.size() - 1)) {
				content.append(JSON.readTree(d).path("choices").path(0).path("delta").path("content").asString(""));
			}
			String answer = SimulatedAnswers.answerFor("Stream me until it breaks");
			assertThat(content.toString()).isNotEmpty();
			assertThat(answer).startsWith(content.toString()).isNotEqualTo(content.toString());
			// a plain request is not affected by this mode
			assertThat(plain.statusCode()).isEqualTo(200);
			assertThat(JSON.readTree(plain.body()).at("/choices/0/message/content").asString()).isEqualTo(answer);
			assertThat(sim.counters().streamErrors()).isEqualTo(1);
		}
	}

	@Test
	void injectsFaultsAtTheirRates() throws Exception {
		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder().rate429(0.3, 2).rate500(0.2).build())) {
			for (int i = 0; i < 400; i++) {
				HttpResponse<String> r = post(sim, chat("f" + i, ""), null);
				if (r.statusCode() == 429) {
					assertThat(r.headers().firstValue("Retry-After")).hasValue("2");
				}
			}
			assertThat(sim.counters().status(429)).isBetween(80L, 160L);
			assertThat(sim.counters().status(500)).isBetween(45L, 120L);
			assertThat(sim.counters().requests()).isEqualTo(400);
		}
	}

	@Test
	void reportsCountersOverHttp() throws Exception {
		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder().build())) {
			post(sim, chat("c", ""), null);
			HttpResponse<String> counters = http.send(
					HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + sim.port() + "/counters")).build(),
					HttpResponse.BodyHandlers.ofString());

			JsonNode json = JSON.readTree(counters.body());
			assertThat(json.path("requests").asInt()).isEqualTo(1);
			assertThat(json.path("by_status").path("200").asInt()).isEqualTo(1);
			assertThat(json.path("peak_in_flight").asInt()).isEqualTo(1);
		}
	}
}
