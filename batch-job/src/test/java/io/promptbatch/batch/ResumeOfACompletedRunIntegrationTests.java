package io.promptbatch.batch;

import static org.assertj.core.api.Assertions.assertThat;

import io.promptbatch.simulator.ChatSimulator;
import io.promptbatch.simulator.Latency;
import io.promptbatch.simulator.SimulatorConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.batch.core.BatchStatus;

/** A run found to resume, then completed by another process before this one resumes it. */
class ResumeOfACompletedRunIntegrationTests {

	@TempDir
	Path dir;

	@RegisterExtension
	final JobApplication app = new JobApplication(() -> dir.resolve("state"), Map.of());

	@Test
	void aRunCompletedSinceItWasFoundIsReportedAsAlreadyCompleteAndNotRestarted() throws Exception {
		// given: a run that failed mid-file (403 from the 31st request on), found to resume
		int n = 100;
		Path input = Inputs.csv(dir, n);
		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder()
			.latency(Latency.fixed(Duration.ofMillis(2)))
			.build())) {
			sim.failFrom(31, 403);
			RunSpec spec = RunSpec.builder(input, dir.resolve("answers.jsonl"), sim.baseUrl(), "kimi-k2.5")
				.concurrency(2)
				.build();
			assertThat(app.launcher().run(spec, n, List.of("group")).status()).isEqualTo(BatchStatus.FAILED);
			RunLauncher.Resumable found = app.launcher().resumable(null).orElseThrow();
			assertThat(found.execution().getStatus()).isEqualTo(BatchStatus.FAILED);

			// when: another run of the same command completes it, and then the one found is resumed
			sim.recover();
			assertThat(app.launcher().run(spec, n, List.of("group")).status()).isEqualTo(BatchStatus.COMPLETED);
			long requestsBefore = sim.counters().requests();
			RunOutcome resumed = app.launcher().resume(found);

			// then: told as already complete, exit 0, and nothing sent again
			assertThat(resumed.alreadyComplete()).isTrue();
			assertThat(resumed.status()).isEqualTo(BatchStatus.COMPLETED);
			assertThat(resumed.exitCode()).isZero();
			assertThat(resumed.instanceId()).isEqualTo(found.run().id());
			assertThat(sim.counters().requests()).isEqualTo(requestsBefore);
		}
	}
}
