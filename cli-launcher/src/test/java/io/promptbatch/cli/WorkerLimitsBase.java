package io.promptbatch.cli;

import io.promptbatch.simulator.ChatSimulator;
import io.promptbatch.simulator.Latency;
import io.promptbatch.simulator.SimulatorConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the tests of a run's limits across processes share: a real PostgreSQL database of their own, two worker
 * processes, the manager in this JVM running one of the run's three partitions, and a server with a rate limit.
 */
abstract class WorkerLimitsBase {

	/**
	 * The lease of a partition: well above the time between two commits of a partition at a third of the run's
	 * pace, so that no partition is taken over (not what these tests are about).
	 */
	static final String LEASE = "10s";

	@TempDir
	Path dir;

	WorkerProcesses fleet;

	String url;

	/** Runs started as processes of their own (not workers), ended after each test. */
	final List<Process> runs = new ArrayList<>();

	@BeforeEach
	void database() {
		fleet = new WorkerProcesses(dir);
		url = fleet.url;
	}

	@AfterEach
	void stopProcesses() throws Exception {
		fleet.stop();
		runs.forEach(Process::destroyForcibly);
	}

	/** Starts two worker processes and waits until each takes partitions. */
	void twoWorkers() throws Exception {
		fleet.start(2, "--state-db-lease", LEASE);
	}

	/** The manager, in this process, running one of the run's three partitions itself. */
	CliFixtures.Result manager(ChatSimulator sim, Path input, Path output, String... limits) {
		List<String> args = new ArrayList<>(List.of("run", "--base-url", sim.baseUrl(), "--model", "kimi-k2.5",
				"--chunk-size", "5", "--input", input.toString(), "--output", output.toString(), "--state-dir",
				dir.resolve("manager").toString(), "--state-db", url, "--state-db-lease", LEASE, "--partitions", "3"));
		args.addAll(List.of(limits));
		return CliFixtures.execute(fleet.login(), args.toArray(String[]::new));
	}

	/** A server that refuses (429) more than {@code rpm / 60} requests in any rolling second. */
	static ChatSimulator rateLimited(int rpm) throws Exception {
		return ChatSimulator.start(SimulatorConfig.builder()
			.latency(Latency.lognormal(Duration.ofMillis(20), 0.3))
			.requestsPerMinute(rpm)
			.workerThreads(8)
			.build());
	}

}
