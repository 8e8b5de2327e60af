package io.promptbatch.batch;

import static org.assertj.core.api.Assertions.assertThat;

import io.promptbatch.batch.state.StateDatabase;
import io.promptbatch.simulator.ChatSimulator;
import io.promptbatch.simulator.Latency;
import io.promptbatch.simulator.SimulatorConfig;
import io.promptbatch.testsupport.PostgresServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.batch.core.BatchStatus;
import org.springframework.context.ConfigurableApplicationContext;

/** Runs of other outputs on one shared state database, from processes (state directories) of their own. */
class SharedStateRunsIntegrationTests {

	@TempDir
	Path dir;

	@Test
	void runsOfOtherOutputsStartTogetherAndRunSideBySide() throws Exception {
		// given: three "machines" (state directories) on one PostgreSQL state database
		PostgresServer pg = PostgresServer.shared();
		String database = pg.newDatabase();
		StateDatabase stateDb = StateDatabase.of(pg.url(database), pg.user(), pg.password(), Duration.ofSeconds(30));
		int machines = 3;
		int rows = 300;
		Path input = Inputs.csv(dir, rows);
		List<ConfigurableApplicationContext> contexts = new ArrayList<>();
		for (int i = 0; i < machines; i++) {
			contexts.add(PromptBatchApplication.start(dir.resolve("state-" + i), stateDb, v -> null, Endpoints.IDENTITY,
					new StopSignal(Duration.ofSeconds(5))));
		}
		ExecutorService pool = Executors.newFixedThreadPool(machines);
		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder()
			.latency(Latency.lognormal(Duration.ofMillis(20), 0.3))
			.workerThreads(16)
			.build())) {
			for (int round = 0; round < 3; round++) {
				// when: each starts a run of its own output at the same moment
				CyclicBarrier together = new CyclicBarrier(machines);
				List<Future<RunOutcome>> outcomes = new ArrayList<>();
				for (int i = 0; i < machines; i++) {
					RunLauncher launcher = contexts.get(i).getBean(RunLauncher.class);
					RunSpec spec = RunSpec.builder(input, dir.resolve("answers-" + round + "-" + i + ".jsonl"), sim.baseUrl(),
							"kimi-k2.5").concurrency(8).build();
					outcomes.add(pool.submit(() -> {
						together.await();
						return launcher.run(spec, rows, List.of("group"));
					}));
				}

				// then: every run completes; none was taken for another's abandoned run and marked failed
				for (int i = 0; i < machines; i++) {
					RunOutcome outcome = outcomes.get(i).get();
					assertThat(outcome.status()).as("round %d, machine %d: %s", round, i, outcome.failures())
						.isEqualTo(BatchStatus.COMPLETED);
					assertThat(Inputs.jsonl(dir.resolve("answers-" + round + "-" + i + ".jsonl"))).hasSize(rows);
				}
			}
			assertThat(contexts.get(0).getBean(RunLauncher.class).runs(100)).hasSize(3 * machines)
				.allSatisfy(r -> assertThat(r.status()).isEqualTo(BatchStatus.COMPLETED));
		}
		finally {
			pool.shutdownNow();
			contexts.forEach(ConfigurableApplicationContext::close);
		}
	}
}
