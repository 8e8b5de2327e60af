package io.promptbatch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.promptbatch.simulator.ChatSimulator;
import io.promptbatch.simulator.Latency;
import io.promptbatch.simulator.SimulatorConfig;
import java.io.File;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** Restart tested by really killing the process (SIGKILL) and running the same command again. */
class KillAndResumeIntegrationTests {

	private static final int ROWS = 4000;

	private static final int CONCURRENCY = 16;

	@TempDir
	Path dir;

	private Process start(ChatSimulator sim, Path input, Path output, String... extra) throws Exception {
		List<String> args = new ArrayList<>(List.of("run", "--base-url", sim.baseUrl(), "--model", "kimi-k2.5",
				"--concurrency", Integer.toString(CONCURRENCY), "--chunk-size", "50", "--input", input.toString(),
				"--output", output.toString(), "--state-dir", dir.resolve("state").toString()));
		args.addAll(List.of(extra));
		return process().start(args.toArray(String[]::new));
	}

	private CliProcess process() {
		return new CliProcess(dir.resolve("process.log"));
	}

	private String log() {
		return process().log();
	}

	@Test
	void resumesAfterKillWithoutDuplicateRowsOrPayingTwiceForAnsweredRows() throws Exception {
		// given
		Path input = CliFixtures.csv(dir, ROWS);
		Path output = dir.resolve("answers.jsonl");
		Random random = new Random(20261125);
		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder()
			.latency(Latency.lognormal(Duration.ofMillis(8), 0.5))
			.workerThreads(8)
			.build())) {
			long answeredBeforeKills = 0;
			int resentBound = 0;
			for (int kill = 0; kill < 5; kill++) {
				long killAt = sim.counters().requests() + 200 + random.nextInt(400);
				Process process = start(sim, input, output);
				CliProcess.awaitRequests(sim, process, killAt);
				assertThat(process.isAlive()).as(() -> "still running at the kill point: " + log()).isTrue();
				// when: SIGKILL, no chance to clean up
				process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
				resentBound += CONCURRENCY;
				answeredBeforeKills = sim.counters().status(200);
				assertThat(CliFixtures.jsonl(output).size()).isLessThan(ROWS);
			}

			// then: the same command completes the run
			Process last = start(sim, input, output);
			assertThat(last.waitFor(120, TimeUnit.SECONDS)).isTrue();
			assertThat(last.exitValue()).as(java.nio.file.Files.readString(dir.resolve("process.log"))).isZero();

			List<JsonNode> rows = CliFixtures.jsonl(output);
			assertThat(rows).hasSize(ROWS);
			for (int i = 0; i < ROWS; i++) {
				assertThat(rows.get(i).get("id").asString()).isEqualTo("p" + (i + 1));
				assertThat(rows.get(i).get("status").asString()).isEqualTo("ok");
			}
			// only requests that were in flight at a kill were sent again
			System.out.printf("kill test: %d rows, %d answers paid, %d sent again, bound %d%n", ROWS,
					sim.counters().status(200), sim.counters().status(200) - ROWS, resentBound);
			assertThat(sim.counters().status(200)).isLessThanOrEqualTo(ROWS + resentBound);
			assertThat(answeredBeforeKills).isGreaterThan(0);
			assertThat(new File(dir.resolve("state").toFile(), "promptbatch.mv.db")).exists();
		}
	}

	@Test
	void stopsGracefullyOnSigtermThenResumesWithoutPayingTwice() throws Exception {
		// given: a slow provider, so that requests are in flight when the signal comes
		Path input = CliFixtures.csv(dir, 400);
		Path output = dir.resolve("answers.jsonl");
		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder()
			.latency(Latency.lognormal(Duration.ofMillis(300), 0.3))
			.workerThreads(8)
			.build())) {
			Process process = start(sim, input, output);
			CliProcess.awaitRequests(sim, process, 100);
			assertThat(process.isAlive()).as(this::log).isTrue();

			// and: a second process on the same state directory is refused at once
			CliFixtures.Result second = CliFixtures.execute(java.util.Map.of(), "run", "--base-url", sim.baseUrl(),
					"--model", "kimi-k2.5", "--input", input.toString(), "--output", dir.resolve("other.jsonl").toString(),
					"--state-dir", dir.resolve("state").toString());
			assertThat(second.exitCode()).isEqualTo(2);
			assertThat(second.err()).contains("another promptbatch process is using the state directory");

			// when: SIGTERM
			process.destroy();

			// then: it commits what was answered and exits 1, resumably
			assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
			assertThat(process.exitValue()).as(this::log).isEqualTo(1);
			assertThat(log()).contains("stopping: no new requests").contains("stopped after");
			long requestsAtStop = sim.counters().requests();
			int written = CliFixtures.jsonl(output).size();
			assertThat(written).isPositive().isLessThan(400);
			assertThat(sim.counters().inFlight()).isZero();

			// when: the same command again
			Process again = start(sim, input, output);
			assertThat(again.waitFor(120, TimeUnit.SECONDS)).isTrue();
			assertThat(again.exitValue()).as(this::log).isZero();

			// then: every row exactly once, and no request was sent twice
			List<JsonNode> rows = CliFixtures.jsonl(output);
			assertThat(rows).hasSize(400);
			assertThat(rows).extracting(r -> r.get("id").asString()).doesNotHaveDuplicates();
			assertThat(sim.counters().requests()).isEqualTo(400);
			assertThat(requestsAtStop).isLessThan(400);
		}
	}
}
