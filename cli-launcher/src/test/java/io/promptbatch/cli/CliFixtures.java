package io.promptbatch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.promptbatch.simulator.ChatSimulator;
import io.promptbatch.simulator.Latency;
import io.promptbatch.simulator.SimulatedAnswers;
import io.promptbatch.simulator.SimulatorConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Running the command in-process and reading what it wrote. */
final class CliFixtures {

	static final JsonMapper JSON = JsonMapper.builder().build();

	static final Path SAMPLE_CSV = Path.of("../sample-data/prompts.csv");

	static final Path SAMPLE_JSONL = Path.of("../sample-data/prompts.jsonl");

	private CliFixtures() {
	}

	record Result(int exitCode, String out, String err) {
	}

	static Result execute(Map<String, String> env, String... args) {
		StringWriter out = new StringWriter();
		StringWriter err = new StringWriter();
		int code = PromptbatchCommand.execute(env, new PrintWriter(out, true), new PrintWriter(err, true), args);
		return new Result(code, out.toString(), err.toString());
	}

	static String promptOf(int i) {
		return "Prompt " + i + ": one fact about the number " + i + ", please.";
	}

	static Path csv(Path dir, int n) throws IOException {
		Path file = dir.resolve("prompts.csv");
		try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
			w.write("id,prompt\n");
			for (int i = 1; i <= n; i++) {
				w.write("p" + i + ",\"" + promptOf(i) + "\"\n");
			}
		}
		return file;
	}

	static List<JsonNode> jsonl(Path file) throws IOException {
		List<JsonNode> rows = new ArrayList<>();
		if (Files.exists(file)) {
			for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
				rows.add(JSON.readTree(line));
			}
		}
		return rows;
	}

	/** A simulator on 127.0.0.1 whose answers take a lognormal time around {@code median}, on 8 worker threads. */
	/** Each record's row of a run of {@link #csv} prompts: once, in input order, with the simulator's answer to it. */
	static void assertExact(Path output, int rows) throws IOException {
		List<JsonNode> written = jsonl(output);
		assertThat(written).hasSize(rows);
		for (int i = 0; i < rows; i++) {
			JsonNode row = written.get(i);
			assertThat(row.get("id").asString()).isEqualTo("p" + (i + 1));
			assertThat(row.get("status").asString()).isEqualTo("ok");
			assertThat(row.get("answer").asString()).isEqualTo(SimulatedAnswers.answerFor(promptOf(i + 1)));
		}
	}

	static ChatSimulator simulator(Duration median, double sigma) throws IOException {
		return ChatSimulator.start(SimulatorConfig.builder()
			.latency(Latency.lognormal(median, sigma))
			.workerThreads(8)
			.build());
	}

	/** A simulator on 127.0.0.1 whose batches take {@code duration} to run. */
	static ChatSimulator batchesTaking(Duration duration) throws IOException {
		return ChatSimulator.start(SimulatorConfig.builder().batchDuration(duration).build());
	}

	/**
	 * The rows of a {@code --batch-api} run that one upload and one batch answered: each record's row, once, in input
	 * order, ok, its answer quoting its prompt.
	 */
	static void assertOneBatchAnsweredEveryRow(ChatSimulator sim, Path output, int count) throws IOException {
		List<JsonNode> rows = jsonl(output);
		assertThat(rows).hasSize(count);
		for (int i = 0; i < count; i++) {
			assertThat(rows.get(i).get("id").asString()).isEqualTo("p" + (i + 1));
			assertThat(rows.get(i).get("status").asString()).isEqualTo("ok");
			assertThat(rows.get(i).get("answer").asString()).contains(promptOf(i + 1));
		}
		assertThat(sim.counters().filesUploaded()).as("files uploaded").isEqualTo(1);
		assertThat(sim.counters().batchesCreated()).as("batches created").isEqualTo(1);
	}
}
