package io.promptbatch.cli;

import static io.promptbatch.cli.CliFixtures.execute;
import static io.promptbatch.cli.CliFixtures.jsonl;
import static org.assertj.core.api.Assertions.assertThat;

import io.promptbatch.cli.CliFixtures.Result;
import io.promptbatch.simulator.ChatSimulator;
import io.promptbatch.simulator.SimulatorConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** Inputs whose every record names its model run as given against a bare --base-url. */
class PerRecordModelIntegrationTests {

	private static final List<String> MODELS = List.of("kimi-k2.5", "qwen2.5-7b-instruct", "kimi-k2-thinking");

	@TempDir
	Path dir;

	private static String batchLine(String customId, String model, String question) {
		return "{\"custom_id\":\"" + customId + "\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{"
				+ "\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"" + question + "\"}],"
				+ "\"max_tokens\":50}}\n";
	}

	private Result run(ChatSimulator sim, Path input, String... more) {
		List<String> args = new java.util.ArrayList<>(List.of("run", "--base-url", sim.baseUrl(), "--input",
				input.toString(), "--output", dir.resolve("out.jsonl").toString(), "--state-dir",
				dir.resolve("state").toString()));
		args.addAll(List.of(more));
		return execute(Map.of(), args.toArray(String[]::new));
	}

	/** The model each request named, by the question it asked. */
	private static Map<String, String> modelsSent(ChatSimulator sim) {
		Map<String, String> sent = new HashMap<>();
		for (JsonNode request : sim.recordedRequests()) {
			JsonNode messages = request.get("messages");
			sent.put(messages.get(messages.size() - 1).get("content").asString(), request.get("model").asString());
		}
		return sent;
	}

	@Test
	void runsAnOpenAiBatchFileWithEachLinesOwnModelAgainstABaseUrlWithoutModel() throws Exception {
		// given: a batch file whose lines name three different models
		Path input = dir.resolve("batch.jsonl");
		StringBuilder lines = new StringBuilder();
		for (int i = 0; i < 6; i++) {
			lines.append(batchLine("task-" + i, MODELS.get(i % 3), "Question " + i));
		}
		Files.writeString(input, lines, StandardCharsets.UTF_8);

		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder().recordRequests(100).build())) {
			// when: no --model, no --provider
			Result result = run(sim, input);

			// then: each line's own model was sent and answered
			assertThat(result.exitCode()).as(result.err()).isZero();
			Map<String, String> sent = modelsSent(sim);
			List<JsonNode> rows = jsonl(dir.resolve("out.jsonl"));
			assertThat(rows).hasSize(6);
			for (int i = 0; i < 6; i++) {
				assertThat(sent.get("Question " + i)).isEqualTo(MODELS.get(i % 3));
				assertThat(rows.get(i).get("id").asString()).isEqualTo("task-" + i);
				assertThat(rows.get(i).get("model").asString()).isEqualTo(MODELS.get(i % 3));
				assertThat(rows.get(i).get("status").asString()).isEqualTo("ok");
			}
		}
	}

	@Test
	void runsAJsonlAndACsvWhoseEveryRecordNamesItsModel() throws Exception {
		Path jsonlInput = dir.resolve("own.jsonl");
		Files.writeString(jsonlInput, "{\"id\":\"a\",\"model\":\"kimi-k2.5\",\"prompt\":\"From JSONL one\"}\n"
				+ "{\"id\":\"b\",\"model\":\"qwen2.5-7b-instruct\",\"prompt\":\"From JSONL two\"}\n", StandardCharsets.UTF_8);
		Path csvInput = dir.resolve("own.csv");
		Files.writeString(csvInput, "id,model,prompt\nc,kimi-k2-thinking,From CSV one\nd,kimi-k2.5,From CSV two\n",
				StandardCharsets.UTF_8);

		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder().recordRequests(100).build())) {
			Result fromJsonl = run(sim, jsonlInput);
			Result fromCsv = execute(Map.of(), "run", "--base-url", sim.baseUrl(), "--input", csvInput.toString(),
					"--output", dir.resolve("csv-out.jsonl").toString(), "--state-dir", dir.resolve("state2").toString());

			assertThat(fromJsonl.exitCode()).as(fromJsonl.err()).isZero();
			assertThat(fromCsv.exitCode()).as(fromCsv.err()).isZero();
			assertThat(modelsSent(sim)).containsExactlyInAnyOrderEntriesOf(Map.of("From JSONL one", "kimi-k2.5",
					"From JSONL two", "qwen2.5-7b-instruct", "From CSV one", "kimi-k2-thinking", "From CSV two", "kimi-k2.5"));
			assertThat(jsonl(dir.resolve("csv-out.jsonl"))).extracting(r -> r.get("model").asString())
				.containsExactly("kimi-k2-thinking", "kimi-k2.5");
		}
	}

	@Test
	void refusesARecordWithoutAModelWhenTheRunHasNoneBeforeSendingAnything() throws Exception {
		// given: the third line names no model
		Path input = dir.resolve("batch.jsonl");
		Files.writeString(input, batchLine("t1", "kimi-k2.5", "One") + batchLine("t2", "kimi-k2.5", "Two")
				+ "{\"custom_id\":\"t3\",\"body\":{\"messages\":[{\"role\":\"user\",\"content\":\"Three\"}]}}\n",
				StandardCharsets.UTF_8);

		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder().build())) {
			// when
			Result result = run(sim, input);

			// then
			assertThat(result.exitCode()).isEqualTo(2);
			assertThat(result.err()).contains(input + ":3: this record names no model").contains("--model");
			assertThat(sim.counters().requests()).isZero();
		}
	}

	@Test
	void aModelGivenOnTheCommandLineStillOverridesTheBatchLinesModel() throws Exception {
		Path input = dir.resolve("batch.jsonl");
		Files.writeString(input, batchLine("t1", "kimi-k2.5", "One") + batchLine("t2", "qwen2.5-7b-instruct", "Two"),
				StandardCharsets.UTF_8);

		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder().recordRequests(10).build())) {
			Result result = run(sim, input, "--model", "kimi-k2-thinking");

			assertThat(result.exitCode()).as(result.err()).isZero();
			assertThat(modelsSent(sim).values()).containsOnly("kimi-k2-thinking");
		}
	}

	@Test
	void anEmptyBatchFileRunsWithoutAModel() throws Exception {
		Path input = dir.resolve("empty.jsonl");
		Files.writeString(input, "", StandardCharsets.UTF_8);

		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder().build())) {
			Result result = run(sim, input);

			assertThat(result.exitCode()).as(result.err()).isZero();
			assertThat(result.err()).doesNotContain("--model");
			assertThat(jsonl(dir.resolve("out.jsonl"))).isEmpty();
			assertThat(sim.counters().requests()).isZero();
		}
	}

	@Test
	void aRejectedBatchLineKeepsItsCustomIdInTheRejectsFile() throws Exception {
		// given: the second line asks for an endpoint that cannot be run
		Path input = dir.resolve("batch.jsonl");
		Files.writeString(input, batchLine("t1", "kimi-k2.5", "One")
				+ batchLine("t2", "kimi-k2.5", "Two").replace("/v1/chat/completions", "/v1/embeddings")
				+ "{\"id\":\"j3\",\"model\":\"kimi-k2.5\"}\n" + "{\"model\":\"kimi-k2.5\"}\n", StandardCharsets.UTF_8);

		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder().build())) {
			// when
			Result result = run(sim, input, "--skip-invalid");

			// then: the line's own id is kept (null only for the record that names none)
			assertThat(result.exitCode()).as(result.err()).isZero();
			List<JsonNode> rejects = jsonl(dir.resolve("out.jsonl.rejects.jsonl"));
			assertThat(rejects).extracting(r -> r.get("line").asLong()).containsExactly(2L, 3L, 4L);
			assertThat(rejects.get(0).get("id").asString()).isEqualTo("t2");
			assertThat(rejects.get(0).get("reason").asString()).contains("/v1/embeddings");
			assertThat(rejects.get(1).get("id").asString()).isEqualTo("j3");
			assertThat(rejects.get(2).get("id").isNull()).isTrue();
		}
	}
}
