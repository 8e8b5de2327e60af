package io.promptbatch.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.promptbatch.simulator.ChatSimulator;
import io.promptbatch.simulator.Latency;
import io.promptbatch.simulator.SimulatorConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A full disk, for real: the output goes to a 64 KiB tmpfs (mounting it needs root, as on CI and the
 * development machines; elsewhere the test is skipped and says why).
 */
class DiskFullIntegrationTests {

	@TempDir
	Path dir;

	Path mount;

	@RegisterExtension
	final JobApplication app = new JobApplication(() -> dir.resolve("state"), Map.of());

	private static boolean run(String... command) throws Exception {
		Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
		return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
	}

	@BeforeEach
	void mountTinyDisk() throws Exception {
		mount = dir.resolve("tiny");
		Files.createDirectories(mount);
		assumeTrue(run("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", mount.toString()),
				"needs root to mount a small tmpfs");
	}

	@AfterEach
	void unmount() throws Exception {
		run("umount", "-l", mount.toString());
	}

	@Test
	void aFullDiskFailsTheRunResumablyAndLeavesNoTornLineAfterResume() throws Exception {
		// given
		int n = 600;
		Path input = Inputs.csv(dir, n);
		Path output = mount.resolve("answers.jsonl");
		RunLauncher launcher = app.launcher();
		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder()
			.latency(Latency.fixed(Duration.ofMillis(1)))
			.build())) {
			RunSpec spec = RunSpec.builder(input, output, sim.baseUrl(), "kimi-k2.5").concurrency(8).chunkSize(25).build();

			// when
			RunOutcome first = launcher.run(spec, n, List.of("group"));

			// then
			assertThat(first.exitCode()).isEqualTo(1);
			assertThat(first.failureMessage()).contains("cannot write the output").contains("is the disk full?");

			// when: space is freed and the same command runs again
			assertThat(run("mount", "-o", "remount,size=4m", mount.toString())).isTrue();
			RunOutcome second = launcher.run(spec, n, List.of("group"));

			// then: every line whole, every row once, no answer paid twice
			assertThat(second.exitCode()).as(second.failureMessage()).isZero();
			List<String> lines = Files.readAllLines(output, StandardCharsets.UTF_8);
			assertThat(lines).hasSize(n);
			for (int i = 0; i < n; i++) {
				assertThat(Inputs.JSON.readTree(lines.get(i)).get("id").asString()).isEqualTo("p" + (i + 1));
			}
			assertThat(sim.counters().status(200)).isEqualTo(n);
		}
	}
}
