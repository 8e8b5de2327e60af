package io.promptbatch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.promptbatch.cli.CliFixtures.Result;
import io.promptbatch.simulator.ChatSimulator;
import io.promptbatch.simulator.Latency;
import io.promptbatch.simulator.SimulatorConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a run continued after a kill or a stop says, through the real process and the real command. */
class ResumeMessagesIntegrationTests {

	private static final int ROWS = 400;

	private static final int KILL_ROWS = 2000;

	@TempDir
	Path dir;

	private String[] runArgs(ChatSimulator sim, Path input, Path output, String... extra) {
		List<String> args = new ArrayList<>(List.of("run", "--base-url", sim.baseUrl(), "--model", "kimi-k2.5",
				"--concurrency", "16", "--chunk-size", "50", "--input", input.toString(), "--output", output.toString(),
				"--state-dir", dir.resolve("state").toString()));
		args.addAll(List.of(extra));
		return args.toArray(String[]::new);
	}

	private Process start(String... args) throws Exception {
		return new CliProcess(dir.resolve("process.log")).start(args);
	}

	private String log() {
		return new CliProcess(dir.resolve("process.log")).log();
	}

	@Test
	void aRunStartedAgainAfterAKillSaysFromWhichRowItContinuesAndWhatTheJournalHolds() throws Exception {
		// given: a run killed (SIGKILL) once some chunks are written
		Path input = CliFixtures.csv(dir, KILL_ROWS);
		Path output = dir.resolve("answers.jsonl");
		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder()
			.latency(Latency.lognormal(Duration.ofMillis(60), 0.3))
			.workerThreads(8)
			.build())) {
			Process process = start(runArgs(sim, input, output));
			CliProcess.awaitRequests(sim, process, 600);
			assertThat(process.isAlive()).as(this::log).isTrue();
			process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
			long paidBefore = sim.counters().status(200);

			// when: the same command again
			Result again = CliFixtures.execute(Map.of(), runArgs(sim, input, output));

			// then: it says where it continues, and how many answers it does not pay for again
			assertThat(again.exitCode()).as(again.err()).isZero();
			Matcher m = Pattern.compile("continuing run 1 from row (\\d+) \\((\\d+) rows were written before; (\\d+) "
					+ "answers already received are taken from the journal, not paid for again\\)").matcher(again.err());
			assertThat(m.find()).as(again.err()).isTrue();
			System.out.println("kill and run again: " + m.group());
			long written = Long.parseLong(m.group(2));
			long journaled = Long.parseLong(m.group(3));
			assertThat(Long.parseLong(m.group(1))).isEqualTo(written + 1);
			assertThat(written).isGreaterThanOrEqualTo(50).isLessThan(KILL_ROWS);
			// the answers paid before the kill are the rows written plus those the journal gives back, but for
			// the answers the server sent that the process did not receive before it died (16 in flight at most)
			assertThat(written + journaled).isBetween(paidBefore - 16, paidBefore);
			assertThat(sim.counters().status(200)).isBetween((long) KILL_ROWS, KILL_ROWS + 16L);
			assertThat(CliFixtures.jsonl(output)).hasSize(KILL_ROWS);
		}
	}

	@Test
	void resumeSaysWhatItResumesShowsProgressAndWritesTheReportTheRunAskedFor() throws Exception {
		// given: a run with --report, stopped (SIGTERM) part way
		Path input = CliFixtures.csv(dir, ROWS);
		Path output = dir.resolve("answers.jsonl");
		Path report = dir.resolve("answers.jsonl.report.html");
		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder()
			.latency(Latency.lognormal(Duration.ofMillis(300), 0.3))
			.workerThreads(8)
			.build())) {
			Process process = start(runArgs(sim, input, output, "--report"));
			CliProcess.awaitRequests(sim, process, 100);
			process.destroy();
			assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
			assertThat(process.exitValue()).as(this::log).isEqualTo(1);
			Files.deleteIfExists(report);

			// when
			Result resumed = CliFixtures.execute(Map.of(), "resume", "--state-dir", dir.resolve("state").toString(),
					"--progress-interval", "1s");

			// then
			assertThat(resumed.exitCode()).as(resumed.err()).isZero();
			assertThat(resumed.err()).contains("promptbatch: resuming run 1: 400 prompts from " + input.toAbsolutePath()
					+ " -> " + output.toAbsolutePath() + " (" + sim.baseUrl() + ", model kimi-k2.5, concurrency 16)")
				.contains("continuing run 1 from row ")
				.containsPattern("progress: \\d+/400 rows")
				.contains("completed: 400 rows, 400 ok")
				.contains("(this attempt; ")
				.contains("report: " + report.toAbsolutePath());
			assertThat(report).exists();
			assertThat(CliFixtures.jsonl(output)).hasSize(ROWS);
		}
	}
}
