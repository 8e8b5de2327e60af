package io.promptbatch.cli;

import static io.promptbatch.cli.CliFixtures.execute;
import static io.promptbatch.cli.CliFixtures.jsonl;
import static org.assertj.core.api.Assertions.assertThat;

import io.promptbatch.cli.CliFixtures.Result;
import io.promptbatch.simulator.ChatSimulator;
import io.promptbatch.simulator.Latency;
import io.promptbatch.simulator.SimulatorConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** A stream that fails in the middle is retried as a plain request that failed with the same error would be. */
class StreamFaultsIntegrationTests {

	private static final int ROWS = 60;

	@TempDir
	Path dir;

	@Test
	void streamedRowsEqualPlainRowsWhenSomeStreamsFailInTheMiddle() throws Exception {
		// given: a server that answers 500 to some requests and breaks off some streams with an error event
		Path input = CliFixtures.csv(dir, ROWS);
		SimulatorConfig config = SimulatorConfig.builder()
			.latency(Latency.fixed(Duration.ofMillis(5)))
			.rate500(0.05)
			.rateStreamError(0.2)
			.seed(16)
			.build();

		// when: the same input, plain and streamed
		Run plain = run(config, input, "plain", false);
		Run streamed = run(config, input, "streamed", true);

		// then: every row ok both ways, and the same rows
		assertThat(plain.rows()).hasSize(ROWS).allSatisfy(r -> assertThat(r.get("status").asString()).isEqualTo("ok"));
		assertThat(streamed.rows()).hasSize(ROWS)
			.allSatisfy(r -> assertThat(r.get("status").asString()).as(r.toString()).isEqualTo("ok"));
		for (int i = 0; i < ROWS; i++) {
			JsonNode a = plain.rows().get(i);
			JsonNode b = streamed.rows().get(i);
			for (String column : List.of("id", "status", "model", "answer", "finish_reason", "prompt_tokens",
					"completion_tokens", "total_tokens")) {
				assertThat(b.get(column)).as(column + " of row " + (i + 1)).isEqualTo(a.get(column));
			}
		}
		// and: the broken streams happened and each was an attempt counted as a retry
		assertThat(streamed.streamErrors()).isPositive();
		assertThat(plain.streamErrors()).isZero();
		for (Run run : List.of(plain, streamed)) {
			long retriesInRows = run.rows().stream().mapToLong(r -> r.get("attempts").asLong() - 1).sum();
			assertThat(retriesInRows).isEqualTo(run.failedAttempts());
			assertThat(run.summary().get("retries").asLong()).isEqualTo(retriesInRows);
			assertThat(run.result().err()).contains("retries: " + retriesInRows);
		}
	}

	private record Run(Result result, List<JsonNode> rows, JsonNode summary, long failedAttempts, long streamErrors) {
	}

	private Run run(SimulatorConfig config, Path input, String name, boolean stream) throws Exception {
		Path output = dir.resolve(name + ".jsonl");
		try (ChatSimulator sim = ChatSimulator.start(config)) {
			List<String> args = new java.util.ArrayList<>(List.of("run", "--base-url", sim.baseUrl(), "--model",
					"kimi-k2.5", "--input", input.toString(), "--output", output.toString(), "--state-dir",
					dir.resolve(name + "-state").toString(), "--concurrency", "8"));
			if (stream) {
				args.add("--stream");
			}
			Result result = execute(Map.of(), args.toArray(String[]::new));
			assertThat(result.exitCode()).as(result.err()).isZero();
			JsonNode summary = CliFixtures.JSON.readTree(dir.resolve(name + ".jsonl.summary.json").toFile());
			long failed = sim.counters().status(500) + sim.counters().streamErrors();
			return new Run(result, jsonl(output), summary, failed, sim.counters().streamErrors());
		}
	}
}
