package io.promptbatch.batch;

import static org.assertj.core.api.Assertions.assertThat;

import io.promptbatch.batch.partition.LeasePartitionHandler;
import io.promptbatch.batch.partition.Partitioning;
import io.promptbatch.batch.state.StateDatabase;
import io.promptbatch.simulator.ChatSimulator;
import io.promptbatch.simulator.SimulatorConfig;
import io.promptbatch.testsupport.PostgresServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.batch.core.BatchStatus;
import org.springframework.context.ConfigurableApplicationContext;

/** A worker of another promptbatch version than the run's manager refuses its partitions before any request. */
class PartitionRefusalIntegrationTests {

	@TempDir
	Path dir;

	@Test
	void aWorkerOfAnotherVersionFailsThePartitionWithAMessageAndTheRunEndsWithExitTwoBeforeAnyRequest()
			throws Exception {
		// given: a process whose own worker runs version 1.1, on a real PostgreSQL state database
		PostgresServer server = PostgresServer.shared();
		StateDatabase db = StateDatabase.of(server.url(server.newDatabase()), server.user(), server.password(),
				Duration.ofSeconds(2));
		Path input = Inputs.csv(dir, 20);
		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder().build());
				ConfigurableApplicationContext app = PromptBatchApplication.start(dir.resolve("state"), db, v -> null,
						Endpoints.IDENTITY, new StopSignal(Duration.ofSeconds(1)), new Partitioning(1, 0, "1.1"))) {
			RunSpec spec = RunSpec.builder(input, dir.resolve("answers.jsonl"), sim.baseUrl(), "kimi-k2.5").build();

			// when: a manager of version 1.0 runs 2 partitions
			RunOutcome outcome = app.getBean(RunLauncher.class).partitioned(2, "1.0").run(spec, 20, List.of("group"));

			// then: the run failed, exit 2, saying which worker runs which version, and nothing was sent
			assertThat(outcome.status()).isEqualTo(BatchStatus.FAILED);
			assertThat(outcome.exitCode()).isEqualTo(2);
			LeasePartitionHandler.PartitionRefusedException refused = outcome
				.find(LeasePartitionHandler.PartitionRefusedException.class);
			assertThat(refused).isNotNull();
			assertThat(refused.getMessage()).contains("prompt-partition:p0000: worker ")
				.contains("runs promptbatch 1.1 and the run's manager 1.0: run the same version on the manager and "
						+ "every worker");
			assertThat(sim.counters().requests()).isZero();
		}
	}
}
