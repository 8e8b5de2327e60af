package io.promptbatch.cli;

import static io.promptbatch.cli.CliFixtures.execute;
import static io.promptbatch.cli.CliFixtures.jsonl;
import static org.assertj.core.api.Assertions.assertThat;

import io.promptbatch.cli.CliFixtures.Result;
import io.promptbatch.simulator.ChatSimulator;
import io.promptbatch.simulator.SimulatedAnswers;
import io.promptbatch.simulator.SimulatorConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** Conversations are sent as the input gives them. */
class ConversationsIntegrationTests {

	@TempDir
	Path dir;

	@Test
	void continuesAConversationThatEndsWithTheAssistantsMessage() throws Exception {
		// given: Kimi's partial mode, the assistant's text begun and marked "partial"
		Path input = dir.resolve("partial.jsonl");
		Files.writeString(input, "{\"id\":\"p1\",\"messages\":[{\"role\":\"user\",\"content\":\"Name a city in Japan.\"},"
				+ "{\"role\":\"assistant\",\"content\":\"The city I would name is\",\"partial\":true}]}\n"
				+ "{\"id\":\"p2\",\"messages\":[{\"role\":\"user\",\"content\":\"Name a river.\"}]}\n", StandardCharsets.UTF_8);
		Path output = dir.resolve("out.jsonl");

		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder().recordRequests(10).build())) {
			// when
			Result result = execute(Map.of(), "run", "--base-url", sim.baseUrl(), "--model", "kimi-k2.5", "--input",
					input.toString(), "--output", output.toString(), "--state-dir", dir.resolve("state").toString(),
					"--concurrency", "1");

			// then: accepted, sent as given (the assistant's turn last, with its "partial" field) ...
			assertThat(result.exitCode()).as(result.err()).isZero();
			JsonNode sent = sim.recordedRequests().get(0).get("messages");
			assertThat(sent).hasSize(2);
			assertThat(sent.get(1).get("role").asString()).isEqualTo("assistant");
			assertThat(sent.get(1).get("content").asString()).isEqualTo("The city I would name is");
			assertThat(sent.get(1).get("partial").asBoolean()).isTrue();
			// ... and the answer is the continuation the server returned, the prefix not repeated
			List<JsonNode> rows = jsonl(output);
			assertThat(rows.get(0).get("status").asString()).isEqualTo("ok");
			assertThat(rows.get(0).get("answer").asString())
				.isEqualTo(SimulatedAnswers.continuationFor("The city I would name is"));
			assertThat(rows.get(1).get("answer").asString()).isEqualTo(SimulatedAnswers.answerFor("Name a river."));
		}
	}

	@Test
	void stillRefusesAConversationThatEndsWithAnotherRole() throws Exception {
		Path input = dir.resolve("system-last.jsonl");
		Files.writeString(input, "{\"id\":\"a\",\"prompt\":\"fine\"}\n"
				+ "{\"id\":\"b\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"},{\"role\":\"system\",\"content\":\"Be brief\"}]}\n",
				StandardCharsets.UTF_8);

		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder().build())) {
			Result result = execute(Map.of(), "run", "--base-url", sim.baseUrl(), "--model", "kimi-k2.5", "--input",
					input.toString(), "--output", dir.resolve("out.jsonl").toString(), "--state-dir",
					dir.resolve("state").toString());

			assertThat(result.exitCode()).isEqualTo(2);
			assertThat(result.err()).contains(input + ":2: the last message must be the user's turn");
			assertThat(sim.counters().requests()).isZero();
		}
	}
}
