package io.promptbatch.cli;

import static io.promptbatch.cli.CliFixtures.execute;
import static io.promptbatch.cli.CliFixtures.jsonl;
import static org.assertj.core.api.Assertions.assertThat;

import io.promptbatch.cli.CliFixtures.Result;
import io.promptbatch.simulator.ChatSimulator;
import io.promptbatch.simulator.SimulatorConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * An OpenAI Batch file with {@code tools}, {@code n}, {@code logprobs} and {@code response_format} goes
 * in, and {@code --output-format openai-batch} gives out the body the server sent, every field: plain,
 * streamed (the body the stream adds up to) and from the cache.
 */
class ResponseBodyIntegrationTests {

	@TempDir
	Path dir;

	private static final String TOOLS = "[{\"type\":\"function\",\"function\":{\"name\":\"lookup\",\"description\":"
			+ "\"Looks a word up\",\"parameters\":{\"type\":\"object\",\"properties\":{\"query\":{\"type\":\"string\"}}}}}]";

	private Path batchFile() throws Exception {
		List<String> lines = new ArrayList<>();
		for (int i = 1; i <= 6; i++) {
			String prompt = (i % 2 == 0 ? "[[sim:tool]] look up word " : "Define word ") + i;
			lines.add("{\"custom_id\":\"r" + i + "\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{"
					+ "\"model\":\"kimi-k2.5\",\"messages\":[{\"role\":\"user\",\"content\":\"" + prompt + "\"}],"
					+ "\"n\":" + (i % 3 + 1) + ",\"logprobs\":true,\"tools\":" + TOOLS + ","
					+ "\"response_format\":{\"type\":\"json_object\"}}}");
		}
		Path file = dir.resolve("batch.jsonl");
		Files.write(file, lines);
		return file;
	}

	private Result run(ChatSimulator sim, Path input, String output, String... more) {
		List<String> args = new ArrayList<>(List.of("run", "--base-url", sim.baseUrl(), "--model", "kimi-k2.5", "--input",
				input.toString(), "--output", dir.resolve(output).toString(), "--state-dir", dir.resolve("state").toString(),
				"--output-format", "openai-batch"));
		args.addAll(List.of(more));
		return execute(Map.of(), args.toArray(String[]::new));
	}

	/** The bodies in an openai-batch output, by custom_id. */
	private Map<String, JsonNode> bodies(String output) throws Exception {
		Map<String, JsonNode> bodies = new HashMap<>();
		for (JsonNode line : jsonl(dir.resolve(output))) {
			assertThat(line.at("/response/status_code").asInt()).as(line.toString()).isEqualTo(200);
			bodies.put(line.get("custom_id").asString(), line.at("/response/body"));
		}
		return bodies;
	}

	/** Each output body equals, field by field, the body the simulator made for that answer. */
	private static void assertSameAsSent(Map<String, JsonNode> out, List<JsonNode> sent) {
		Map<String, JsonNode> sentById = new HashMap<>();
		sent.forEach(b -> sentById.put(b.get("id").asString(), b));
		assertThat(out).hasSize(6);
		out.forEach((customId, body) -> {
			JsonNode original = sentById.get(body.get("id").asString());
			assertThat(original).as(customId).isNotNull();
			assertThat(body.propertyNames()).as(customId).containsExactlyInAnyOrderElementsOf(original.propertyNames());
			original.properties().forEach(f -> assertThat(body.get(f.getKey())).as(customId + " " + f.getKey())
				.isEqualTo(f.getValue()));
		});
	}

	/** The bodies carry what the test is about: several choices, tool calls, logprobs, a fingerprint. */
	private static void assertRich(Map<String, JsonNode> out) {
		assertThat(out.get("r2").at("/choices/0/message/tool_calls/0/function/name").asString()).isEqualTo("lookup");
		assertThat(out.get("r2").at("/choices/0/finish_reason").asString()).isEqualTo("tool_calls");
		assertThat(out.get("r2").get("choices")).hasSize(3);
		assertThat(out.get("r1").at("/choices/1/logprobs/content/0/logprob").asDouble()).isEqualTo(-0.125);
		assertThat(out.get("r1").at("/choices/0/message/content").asString()).startsWith("{\"answer\":");
		assertThat(out.get("r3").get("system_fingerprint").asString()).startsWith("fp_sim_");
	}

	@Test
	void theBodyTheServerSentIsWrittenAsItCamePlainStreamedAndFromTheCache() throws Exception {
		Path input = batchFile();

		// plain
		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder().recordRequests(100).build())) {
			Result plain = run(sim, input, "plain.jsonl");
			assertThat(plain.exitCode()).as(plain.err()).isZero();
			Map<String, JsonNode> out = bodies("plain.jsonl");
			assertRich(out);
			assertSameAsSent(out, sim.recordedResponses());

			// from the cache: nothing sent, the same bodies
			sim.counters().clear();
			Result cached = run(sim, input, "cached.jsonl");
			assertThat(cached.exitCode()).as(cached.err()).isZero();
			assertThat(cached.err()).contains("6 ok (6 from the cache)");
			assertThat(sim.counters().requests()).isZero();
			assertThat(bodies("cached.jsonl")).isEqualTo(out);
		}

		// streamed: the body the chunks add up to, equal to the non-streaming body the simulator made
		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder().recordRequests(100).build())) {
			Result streamed = run(sim, input, "streamed.jsonl", "--stream", "--no-cache");
			assertThat(streamed.exitCode()).as(streamed.err()).isZero();
			assertThat(sim.recordedRequests()).allSatisfy(r -> assertThat(r.get("stream").asBoolean()).isTrue());
			Map<String, JsonNode> out = bodies("streamed.jsonl");
			assertRich(out);
			assertSameAsSent(out, sim.recordedResponses());
		}
	}
}
