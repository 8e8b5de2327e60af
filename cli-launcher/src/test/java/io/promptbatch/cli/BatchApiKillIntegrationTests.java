package io.promptbatch.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.promptbatch.simulator.ChatSimulator;
import io.promptbatch.simulator.SimulatorConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Exactly once at the batch level, tested by killing the real process (SIGKILL) at each external step of a batch
 * submission and running the same command again: the simulator sees one upload and one batch, and the output is
 * exact.
 */
class BatchApiKillIntegrationTests {

	private static final int ROWS = 40;

	@TempDir
	Path dir;

	private Process start(ChatSimulator sim, Path input) throws Exception {
		return new CliProcess(dir.resolve("process.log")).start(run(sim, input));
	}

	/** The run command, with {@code more} options after {@code --batch-api}. */
	private String[] run(ChatSimulator sim, Path input, String... more) {
		List<String> args = new ArrayList<>(List.of("run", "--base-url", sim.baseUrl(), "--model", "kimi-k2.5",
				"--batch-api"));
		args.addAll(List.of(more));
		args.addAll(List.of("--batch-max-poll", "200ms", "--input", input.toString(), "--output",
				dir.resolve("answers.jsonl").toString(), "--state-dir", dir.resolve("state").toString()));
		return args.toArray(String[]::new);
	}

	private String log() {
		return new CliProcess(dir.resolve("process.log")).log();
	}

	/** Starts the command, kills it once {@code killPoint} holds, then runs the same command to its end. */
	private void killAndRunAgain(ChatSimulator sim, BooleanSupplier killPoint, Duration after) throws Exception {
		Path input = CliFixtures.csv(dir, ROWS);
		Process first = start(sim, input);
		await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(5))
			.until(() -> killPoint.getAsBoolean() || !first.isAlive());
		Thread.sleep(after.toMillis());
		assertThat(first.isAlive()).as(this::log).isTrue();
		// when: SIGKILL, no chance to record anything more
		first.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
		assertThat(CliFixtures.jsonl(dir.resolve("answers.jsonl"))).isEmpty();

		// then: the same command completes the run
		Process again = start(sim, input);
		assertThat(again.waitFor(120, TimeUnit.SECONDS)).isTrue();
		assertThat(again.exitValue()).as(this::log).isZero();
		CliFixtures.assertOneBatchAnsweredEveryRow(sim, dir.resolve("answers.jsonl"), ROWS);
	}

	@Test
	void killedDuringUploadTheSameCommandFindsTheFileByItsNameAndUploadsNothingTwice() throws Exception {
		// given: the provider stores the file, then takes 60 s to answer the upload
		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder()
			.batchDuration(Duration.ofMillis(500))
			.batchUploadDelay(Duration.ofSeconds(60))
			.build())) {
			killAndRunAgain(sim, () -> sim.counters().filesUploaded() >= 1, Duration.ofMillis(200));
		}
	}

	@Test
	void killedRightAfterTheBatchWasCreatedTheSameCommandCreatesNoSecondBatch() throws Exception {
		try (ChatSimulator sim = CliFixtures.batchesTaking(Duration.ofSeconds(2))) {
			killAndRunAgain(sim, () -> sim.counters().batchesCreated() >= 1, Duration.ZERO);
		}
	}

	@Test
	void killedWhilePollingTheSameCommandCollectsTheSameBatch() throws Exception {
		try (ChatSimulator sim = CliFixtures.batchesTaking(Duration.ofSeconds(4))) {
			killAndRunAgain(sim, () -> sim.counters().batchesCreated() >= 1, Duration.ofMillis(1500));
		}
	}

	@Test
	void sigtermWhileWaitingLeavesTheBatchRunningExitsOneAndTheSameCommandCollectsIt() throws Exception {
		// given
		Path input = CliFixtures.csv(dir, ROWS);
		try (ChatSimulator sim = CliFixtures.batchesTaking(Duration.ofSeconds(4))) {
			Process first = start(sim, input);
			await().atMost(Duration.ofSeconds(90)).until(() -> sim.counters().batchesCreated() >= 1 || !first.isAlive());
			Thread.sleep(500);
			// when: SIGTERM while it waits
			first.destroy();
			// then
			assertThat(first.waitFor(60, TimeUnit.SECONDS)).isTrue();
			assertThat(first.exitValue()).as(this::log).isEqualTo(1);
			assertThat(log()).contains("stopped while waiting for the batches, which keep running at the provider");
			assertThat(sim.counters().batchesCancelled()).isZero();
			Process again = start(sim, input);
			assertThat(again.waitFor(120, TimeUnit.SECONDS)).isTrue();
			assertThat(again.exitValue()).as(this::log).isZero();
			assertThat(CliFixtures.jsonl(dir.resolve("answers.jsonl"))).hasSize(ROWS);
			assertThat(sim.counters().batchesCreated()).isEqualTo(1);
			assertThat(sim.counters().filesUploaded()).isEqualTo(1);
		}
	}

	@Test
	void cancelCancelsTheRunsBatchAndTheSameCommandWritesWhatItAnsweredWithoutAFollowUp() throws Exception {
		// given: a run submitted without waiting
		Path input = CliFixtures.csv(dir, ROWS);
		try (ChatSimulator sim = CliFixtures.batchesTaking(Duration.ofSeconds(30))) {
			String[] run = run(sim, input, "--no-wait");
			assertThat(CliFixtures.execute(Map.of(), run).exitCode()).isZero();
			// when
			CliFixtures.Result cancel = CliFixtures.execute(Map.of(), "cancel", "--state-dir",
					dir.resolve("state").toString());
			// then
			assertThat(cancel.exitCode()).as(cancel.err()).isZero();
			assertThat(cancel.err()).contains("1 batches asked to cancel");
			assertThat(sim.counters().batchesCancelled()).isEqualTo(1);
			await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> {
				CliFixtures.Result r = CliFixtures.execute(Map.of(), run);
				return r.exitCode() != 0 || !CliFixtures.jsonl(dir.resolve("answers.jsonl")).isEmpty();
			});
			List<JsonNode> rows = CliFixtures.jsonl(dir.resolve("answers.jsonl"));
			assertThat(rows).hasSize(ROWS);
			assertThat(rows).filteredOn(r -> r.get("status").asString().equals("failed")).isNotEmpty()
				.allMatch(r -> r.get("error").asString().contains("batch_cancelled"));
			assertThat(sim.counters().batchesCreated()).isEqualTo(1);
		}
	}
}
