package io.promptbatch.cli;

import static io.promptbatch.cli.CliFixtures.execute;
import static org.assertj.core.api.Assertions.assertThat;

import io.promptbatch.cli.CliFixtures.Result;
import io.promptbatch.simulator.ChatSimulator;
import io.promptbatch.simulator.SimulatorConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** A prompt longer than the model's known context window is kept back: failed, never sent. */
class ContextWindowIntegrationTests {

	@TempDir
	Path dir;

	@Test
	void aPromptLongerThanTheModelsContextWindowFailsWithoutBeingSent() throws Exception {
		// given: a window of 300 tokens for the model (a price file, so the test stays small), and 5 prompts of
		// which the third is about 2,000 tokens long
		Path prices = Files.writeString(dir.resolve("prices.json"), "{\"as_of\":\"2026-12-02\",\"models\":{\"small-window\":"
				+ "{\"input\":0.60,\"output\":3.00,\"context_tokens\":300}}}");
		StringBuilder csv = new StringBuilder("id,prompt\n");
		for (int i = 1; i <= 5; i++) {
			csv.append('r').append(i).append(',').append(i == 3 ? "word ".repeat(2000).strip() : "Say " + i).append('\n');
		}
		Path input = Files.writeString(dir.resolve("long.csv"), csv);
		Path output = dir.resolve("out.jsonl");

		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder().build())) {
			// when
			Result result = execute(Map.of(), "run", "--base-url", sim.baseUrl(), "--model", "small-window", "--prices",
					prices.toString(), "--input", input.toString(), "--output", output.toString(), "--state-dir",
					dir.resolve("state").toString());

			// then: the other four were sent, once each; the long one never
			assertThat(result.exitCode()).as(result.err()).isEqualTo(3);
			assertThat(sim.counters().requests()).isEqualTo(4);
		}
		List<JsonNode> rows = CliFixtures.jsonl(output);
		assertThat(rows).hasSize(5);
		JsonNode tooLong = rows.get(2);
		assertThat(tooLong.get("id").asString()).isEqualTo("r3");
		assertThat(tooLong.get("status").asString()).isEqualTo("failed");
		assertThat(tooLong.get("attempts").asInt()).isZero();
		assertThat(tooLong.get("error").asString())
			.containsPattern("prompt of about \\d{4} tokens exceeds small-window's context window of 300 tokens; not sent");
		assertThat(rows.stream().filter(r -> "ok".equals(r.get("status").asString()))).hasSize(4);
	}

	@Test
	void aModelWithoutAKnownWindowSendsEveryPrompt() throws Exception {
		// given: the same long prompt for a model the table has no window for
		Path input = Files.writeString(dir.resolve("long.csv"), "id,prompt\nr1," + "word ".repeat(2000).strip() + "\n");
		Path output = dir.resolve("out.jsonl");

		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder().build())) {
			Result result = execute(Map.of(), "run", "--base-url", sim.baseUrl(), "--model", "some-local-model",
					"--input", input.toString(), "--output", output.toString(), "--state-dir",
					dir.resolve("state").toString());

			assertThat(result.exitCode()).as(result.err()).isZero();
			assertThat(sim.counters().requests()).isEqualTo(1);
		}
	}
}
