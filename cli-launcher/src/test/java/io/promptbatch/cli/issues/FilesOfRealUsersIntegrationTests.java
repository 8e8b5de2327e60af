package io.promptbatch.cli.issues;

import static org.assertj.core.api.Assertions.assertThat;

import io.promptbatch.cli.CliProcess;
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
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The promise "nothing lost, nothing paid twice" on the paths real users take: an output onto its own
 * input, an input edited between a stop and a resume, two runs onto one output, a file of the user's
 * in the output's place. Each of these lost or corrupted data with exit 0 before.
 */
class FilesOfRealUsersIntegrationTests {

	private static final JsonMapper JSON = JsonMapper.builder().build();

	@TempDir
	Path dir;

	// ---- output onto the input -------------------------------------------------------------------------------

	@Test
	void anOutputThatIsTheInputIsRefusedBeforeAnyRequestUnderAnyName() throws Exception {
		Path csv = csv(dir.resolve("same.csv"), 2000);
		Path jsonl = dir.resolve("same.jsonl");
		Files.writeString(jsonl, "{\"id\":\"a\",\"prompt\":\"one\"}\n{\"id\":\"b\",\"prompt\":\"two\"}\n");
		Path link = Files.createSymbolicLink(dir.resolve("link.csv"), csv);
		Path hard = Files.createLink(dir.resolve("hard.csv"), csv);
		Path sub = Files.createDirectory(dir.resolve("sub"));
		// the rejects file of output 'answers.jsonl' would be this input
		Path rejectsName = Files.copy(jsonl, dir.resolve("answers.jsonl.rejects.jsonl"));
		byte[] csvBefore = Files.readAllBytes(csv);
		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder().build())) {
			List<String[]> cases = List.of(new String[] { csv.toString(), csv.toString() },
					new String[] { jsonl.toString(), jsonl.toString() },
					new String[] { csv.toString(), sub.resolve("../same.csv").toString() },
					new String[] { csv.toString(), link.toString() }, new String[] { link.toString(), csv.toString() },
					new String[] { hard.toString(), csv.toString() },
					new String[] { rejectsName.toString(), dir.resolve("answers.jsonl").toString() });
			for (String[] c : cases) {
				Result r = execute("run", "--base-url", sim.baseUrl(), "--model", "kimi-k2.5", "--input", c[0], "--output",
						c[1], "--skip-invalid", "--state-dir", dir.resolve("state").toString());
				assertThat(r.exitCode()).as(c[0] + " -> " + c[1] + ": " + r.err()).isEqualTo(2);
				assertThat(r.err()).as(c[0] + " -> " + c[1]).contains("that the run reads").contains("give another --output");
			}
			assertThat(sim.counters().requests()).isZero();
		}
		assertThat(Files.readAllBytes(csv)).isEqualTo(csvBefore);
		assertThat(Files.readAllLines(rejectsName)).hasSize(2);
	}

	// ---- the input changed between a stop and a resume -----------------------------------------------------

	@Test
	void anInputEditedAfterAStopIsNotResumedOnTheWrongRows() throws Exception {
		// given: a 5,000-row run stopped with SIGTERM after a few hundred rows
		int n = 5000;
		Path input = csv(dir.resolve("prompts.csv"), n);
		Path output = dir.resolve("answers.jsonl");
		try (ChatSimulator sim = fastSimulator()) {
			stopPartWay(sim, input, output, dir.resolve("state"), 300);
			int written = jsonl(output).size();
			assertThat(written).isPositive().isLessThan(n);
			byte[] outputAtStop = Files.readAllBytes(output);
			byte[] original = Files.readAllBytes(input);

			// when: a row r0 is added at the top and r1 is edited, and the same command is run again
			List<String> lines = new ArrayList<>(Files.readAllLines(input));
			lines.set(1, "r1,\"An edited first prompt.\"");
			lines.add(1, "r0,\"A new prompt at the top.\"");
			Files.write(input, lines);
			long requestsAtStop = sim.counters().requests();
			Result again = execute(args(sim, input, output, dir.resolve("state")));

			// then: refused, naming what changed and the ways on; nothing sent, the output as it was
			assertThat(again.exitCode()).as(again.err()).isEqualTo(2);
			assertThat(again.err()).contains(output + " was written by run 1")
				.contains("the input's content: size")
				.contains("different content")
				.contains("restore the input as it was")
				.contains("--overwrite");
			assertThat(sim.counters().requests()).isEqualTo(requestsAtStop);
			assertThat(Files.readAllBytes(output)).isEqualTo(outputAtStop);

			// and: 'resume' refuses the same way
			Result resume = execute("resume", "--state-dir", dir.resolve("state").toString());
			assertThat(resume.exitCode()).as(resume.err()).isEqualTo(2);
			assertThat(resume.err()).contains("changed since run 1 stopped").contains("different content");

			// when: the file is restored, the stopped run continues where it stopped
			Files.write(input, original);
			Result restored = execute(args(sim, input, output, dir.resolve("state")));
			assertThat(restored.exitCode()).as(restored.err()).isZero();
			assertRowsAnswer(jsonl(output), Files.readAllLines(input));

			// when: the edited file is run as a new run over the same output
			Files.write(input, lines);
			long requestsBefore = sim.counters().requests();
			Result edited = execute(withOverwrite(args(sim, input, output, dir.resolve("state"))));

			// then: every row answers its own prompt, and only the two new prompts were paid for
			assertThat(edited.exitCode()).as(edited.err()).isZero();
			List<JsonNode> rows = jsonl(output);
			assertThat(rows).hasSize(n + 1);
			assertRowsAnswer(rows, Files.readAllLines(input));
			assertThat(sim.counters().requests() - requestsBefore).isEqualTo(2);
		}
	}

	// ---- two runs, one output -------------------------------------------------------------------------------

	@Test
	void aSecondRunOntoAnOutputInUseIsRefusedWhateverItsStateDirectory() throws Exception {
		int n = 400;
		Path input = csv(dir.resolve("prompts.csv"), n);
		Path output = dir.resolve("answers.jsonl");
		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder()
			.latency(Latency.lognormal(Duration.ofMillis(100), 0.3))
			.workerThreads(8)
			.build())) {
			Process first = start(sim, input, output, dir.resolve("state-a"));
			waitForRequests(sim, first, 20);

			// when: another run, from another state directory, onto the same output
			Result second = execute(withModel(args(sim, input, output, dir.resolve("state-b")), "kimi-k2-thinking"));

			// then: refused at once; the first run completes with its own rows and its own summary
			assertThat(second.exitCode()).as(second.err()).isEqualTo(2);
			assertThat(second.err()).contains("another promptbatch run is writing " + output);
			assertThat(first.waitFor(120, TimeUnit.SECONDS)).isTrue();
			assertThat(first.exitValue()).as(this::log).isZero();
			List<JsonNode> rows = jsonl(output);
			assertThat(rows).hasSize(n).allSatisfy(r -> assertThat(r.get("model").asString()).isEqualTo("kimi-k2.5"));
			JsonNode summary = JSON.readTree(dir.resolve("answers.jsonl.summary.json").toFile());
			assertThat(summary.get("rows").asLong()).isEqualTo(n);
			assertThat(summary.get("status").asString()).isEqualTo("completed");
			assertThat(sim.counters().requests()).isEqualTo(n);
			// the lock is gone with the run
			assertThat(dir.resolve("answers.jsonl.lock")).doesNotExist();
		}
	}

	// ---- a file the user wrote --------------------------------------------------------------------------------

	@Test
	void anExistingOutputThatNoRunWroteIsReplacedOnlyWithOverwrite() throws Exception {
		Path input = csv(dir.resolve("prompts.csv"), 30);
		Path output = dir.resolve("results.csv");
		Files.writeString(output, "my,own\nimportant,numbers\n");
		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder().build())) {
			// when
			Result refused = execute(args(sim, input, output, dir.resolve("state")));

			// then
			assertThat(refused.exitCode()).as(refused.err()).isEqualTo(2);
			assertThat(refused.err()).contains(output + " exists and no run of this state directory wrote it")
				.contains("pass --overwrite to replace it");
			assertThat(Files.readString(output)).isEqualTo("my,own\nimportant,numbers\n");
			assertThat(sim.counters().requests()).isZero();

			// when: the user says so
			Result replaced = execute(withOverwrite(args(sim, input, output, dir.resolve("state"))));
			assertThat(replaced.exitCode()).as(replaced.err()).isZero();
			assertThat(Files.readAllLines(output)).hasSize(31).first().asString().startsWith("id,");

			// when: a run with other settings onto that run's finished output
			Result other = execute(withModel(args(sim, input, output, dir.resolve("state")), "kimi-k2-thinking"));

			// then: refused, naming the run and what differs
			assertThat(other.exitCode()).as(other.err()).isEqualTo(2);
			assertThat(other.err()).contains(output + " was written by run 1 (completed, 30 of 30 rows written)")
				.contains("--model: 'kimi-k2.5' then, 'kimi-k2-thinking' now");
			assertThat(sim.counters().requests()).isEqualTo(30);

			// and: the same command again is 'already complete', not an overwrite
			Result same = execute(args(sim, input, output, dir.resolve("state")));
			assertThat(same.exitCode()).as(same.err()).isZero();
			assertThat(same.err()).contains("already complete");
		}
	}

	@Test
	void aStoppedRunWhoseOutputWasReplacedMeanwhileWritesItsOwnRowsFromTheFirst() throws Exception {
		// given: run A (state A) stopped part-way; run B (state B, another model) then replaced the output whole
		int n = 1500;
		Path input = csv(dir.resolve("prompts.csv"), n);
		Path output = dir.resolve("answers.jsonl");
		try (ChatSimulator sim = fastSimulator()) {
			stopPartWay(sim, input, output, dir.resolve("state-a"), 400);
			assertThat(jsonl(output).size()).isPositive().isLessThan(n);
			Result b = execute(withOverwrite(withModel(args(sim, input, output, dir.resolve("state-b")),
					"kimi-k2-thinking")));
			assertThat(b.exitCode()).as(b.err()).isZero();
			assertThat(jsonl(output)).hasSize(n);

			// when: run A's command again
			Result resumed = execute(args(sim, input, output, dir.resolve("state-a")));

			// then: A's rows only, each once, in order (not B's first rows followed by A's)
			assertThat(resumed.exitCode()).as(resumed.err()).isZero();
			List<JsonNode> rows = jsonl(output);
			assertThat(rows).hasSize(n);
			assertThat(rows).allSatisfy(r -> assertThat(r.get("model").asString()).isEqualTo("kimi-k2.5"));
			assertRowsAnswer(rows, Files.readAllLines(input));
		}
	}

	@Test
	void aStoppedRunDoesNotContinueUnaskedIntoAnOutputALaterRunWrote() throws Exception {
		// given: run 1 stopped part-way; run 2 of the same state directory (a new --run-key) then wrote the output whole
		int n = 1200;
		Path input = csv(dir.resolve("prompts.csv"), n);
		Path output = dir.resolve("answers.jsonl");
		try (ChatSimulator sim = fastSimulator()) {
			stopPartWay(sim, input, output, dir.resolve("state"), 300);
			List<String> keyed = new ArrayList<>(List.of(withModel(args(sim, input, output, dir.resolve("state")),
					"kimi-k2-thinking")));
			keyed.addAll(List.of("--run-key", "second"));
			Result second = execute(keyed.toArray(String[]::new));
			assertThat(second.exitCode()).as(second.err()).isZero();
			byte[] secondsOutput = Files.readAllBytes(output);

			// when: run 1's command again
			Result again = execute(args(sim, input, output, dir.resolve("state")));

			// then: refused, the later run's output untouched
			assertThat(again.exitCode()).as(again.err()).isEqualTo(2);
			assertThat(again.err()).contains(output + " was written by run 2 after run 1 stopped").contains("--overwrite");
			assertThat(Files.readAllBytes(output)).isEqualTo(secondsOutput);

			// when: the user says so, run 1 continues into it from the first row with its own rows
			Result overwritten = execute(withOverwrite(args(sim, input, output, dir.resolve("state"))));
			assertThat(overwritten.exitCode()).as(overwritten.err()).isZero();
			List<JsonNode> rows = jsonl(output);
			assertThat(rows).allSatisfy(r -> assertThat(r.get("model").asString()).isEqualTo("kimi-k2.5"));
			assertRowsAnswer(rows, Files.readAllLines(input));
		}
	}

	// ---- helpers -------------------------------------------------------------------------------------------

	private static void assertRowsAnswer(List<JsonNode> rows, List<String> csvLines) {
		assertThat(rows).hasSize(csvLines.size() - 1);
		for (int i = 0; i < rows.size(); i++) {
			String line = csvLines.get(i + 1);
			String id = line.substring(0, line.indexOf(','));
			String prompt = line.substring(line.indexOf(',') + 2, line.length() - 1);
			JsonNode row = rows.get(i);
			assertThat(row.get("id").asString()).as("row " + (i + 1)).isEqualTo(id);
			assertThat(row.get("status").asString()).as("row " + (i + 1)).isEqualTo("ok");
			assertThat(row.get("answer").asString()).as("row " + (i + 1) + " answers its prompt")
				.isEqualTo(SimulatedAnswers.answerFor(prompt));
		}
	}

	private static Path csv(Path file, int n) throws IOException {
		try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
			w.write("id,prompt\n");
			for (int i = 1; i <= n; i++) {
				w.write("r" + i + ",\"Prompt " + i + ": one fact about the number " + i + ", please.\"\n");
			}
		}
		return file;
	}

	private static List<JsonNode> jsonl(Path file) throws IOException {
		List<JsonNode> rows = new ArrayList<>();
		if (Files.exists(file)) {
			for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
				rows.add(JSON.readTree(line));
			}
		}
		return rows;
	}

	private static String[] args(ChatSimulator sim, Path input, Path output, Path state) {
		return new String[] { "run", "--base-url", sim.baseUrl(), "--model", "kimi-k2.5", "--concurrency", "16",
				"--chunk-size", "50", "--input", input.toString(), "--output", output.toString(), "--state-dir",
				state.toString() };
	}

	private static String[] withOverwrite(String[] args) {
		List<String> all = new ArrayList<>(List.of(args));
		all.add("--overwrite");
		return all.toArray(String[]::new);
	}

	private static String[] withModel(String[] args, String model) {
		String[] copy = args.clone();
		for (int i = 0; i < copy.length - 1; i++) {
			if (copy[i].equals("--model")) {
				copy[i + 1] = model;
			}
		}
		return copy;
	}

	private Process start(ChatSimulator sim, Path input, Path output, Path state) throws IOException {
		return new CliProcess(dir.resolve("process.log")).start(args(sim, input, output, state));
	}

	/** A simulator answering in about 20 ms, for runs stopped part-way. */
	private static ChatSimulator fastSimulator() throws IOException {
		return ChatSimulator.start(SimulatorConfig.builder()
			.latency(Latency.lognormal(Duration.ofMillis(20), 0.3))
			.workerThreads(8)
			.build());
	}

	/** A run in a process of its own, stopped with SIGTERM once the server saw {@code requests}: it ends stopped, exit 1. */
	private void stopPartWay(ChatSimulator sim, Path input, Path output, Path state, long requests) throws Exception {
		Process process = start(sim, input, output, state);
		waitForRequests(sim, process, requests);
		process.destroy();
		assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
		assertThat(process.exitValue()).as(this::log).isEqualTo(1);
	}

	private void waitForRequests(ChatSimulator sim, Process process, long requests) {
		CliProcess.awaitRequests(sim, process, requests);
		assertThat(process.isAlive()).as(this::log).isTrue();
	}

	private String log() {
		return new CliProcess(dir.resolve("process.log")).log();
	}

	private record Result(int exitCode, String err) {
	}

	private static Result execute(String... args) {
		StringWriter err = new StringWriter();
		int code = io.promptbatch.cli.PromptbatchCommand.execute(Map.of(), new PrintWriter(new StringWriter(), true),
				new PrintWriter(err, true), args);
		return new Result(code, err.toString());
	}
}
