package io.promptbatch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.promptbatch.simulator.ChatSimulator;
import io.promptbatch.simulator.Latency;
import io.promptbatch.simulator.SimulatedAnswers;
import io.promptbatch.simulator.SimulatorConfig;
import io.promptbatch.testsupport.PostgresServer;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * {@code run --partitions N} with {@code promptbatch worker} processes on a real PostgreSQL server: one output in
 * input order from partitions run by several processes, and a worker killed mid-partition taken over without anyone.
 */
class PartitionsIntegrationTests {

	@TempDir
	Path dir;

	private PostgresServer pg;

	private String url;

	private final List<Process> workers = new ArrayList<>();

	@BeforeEach
	void database() {
		pg = PostgresServer.shared();
		url = pg.url(pg.newDatabase());
	}

	@AfterEach
	void stopWorkers() throws InterruptedException {
		for (Process p : workers) {
			p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
		}
	}

	private Map<String, String> login() {
		return Map.of("PROMPTBATCH_STATE_DB_USER", pg.user(), "PROMPTBATCH_STATE_DB_PASSWORD", pg.password());
	}

	private CliProcess worker(String name, int concurrency) throws Exception {
		CliProcess worker = new CliProcess(dir.resolve(name + ".log"));
		Process process = worker.start(login(), List.of("-Xmx256m"), "worker", "--state-db", url, "--state-dir",
				dir.resolve(name).toString(), "--state-db-lease", "3s", "--concurrency", Integer.toString(concurrency));
		workers.add(process);
		org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60))
			.until(() -> worker.log().contains("taking partitions from") || !process.isAlive());
		assertThat(process.isAlive()).as(worker::log).isTrue();
		return worker;
	}

	private CliFixtures.Result manager(ChatSimulator sim, Path input, Path output, int partitions, String... more) {
		List<String> args = new ArrayList<>(List.of("run", "--base-url", sim.baseUrl(), "--model", "kimi-k2.5",
				"--concurrency", "8", "--chunk-size", "20", "--input", input.toString(), "--output", output.toString(),
				"--state-dir", dir.resolve("manager").toString(), "--state-db", url, "--state-db-lease", "3s",
				"--partitions", Integer.toString(partitions)));
		args.addAll(List.of(more));
		return CliFixtures.execute(login(), args.toArray(String[]::new));
	}

	/** Each record's row, once, in input order, with the simulator's answer to its own prompt. */
	private static void assertExact(Path output, int rows) throws Exception {
		List<JsonNode> written = CliFixtures.jsonl(output);
		assertThat(written).hasSize(rows);
		for (int i = 0; i < rows; i++) {
			JsonNode row = written.get(i);
			assertThat(row.get("id").asString()).isEqualTo("p" + (i + 1));
			assertThat(row.get("status").asString()).isEqualTo("ok");
			assertThat(row.get("answer").asString()).isEqualTo(SimulatedAnswers.answerFor(CliFixtures.promptOf(i + 1)));
		}
	}

	/** The worker ({@code (pid N)}) that completed each partition, by partition name, as {@code runs} lists them. */
	private Map<String, String> completedBy() {
		CliFixtures.Result runs = CliFixtures.execute(login(), "runs", "--state-dir", dir.resolve("runs").toString(),
				"--state-db", url);
		assertThat(runs.exitCode()).as(runs.err()).isZero();
		Map<String, String> by = new TreeMap<>();
		java.util.regex.Matcher m = java.util.regex.Pattern.compile("partition (p\\d{4}) .* completed .* on .*(\\(pid \\d+\\))")
			.matcher(runs.out());
		while (m.find()) {
			by.put(m.group(1), m.group(2));
		}
		return by;
	}

	@Test
	void aManagerAndTwoWorkerProcessesWriteOneOutputInInputOrder() throws Exception {
		// given: two worker processes and 600 prompts
		int rows = 600;
		Path input = CliFixtures.csv(dir, rows);
		Path output = dir.resolve("answers.jsonl");
		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder()
			.latency(Latency.lognormal(Duration.ofMillis(15), 0.3))
			.workerThreads(8)
			.build())) {
			worker("worker-1", 8);
			worker("worker-2", 8);

			// when: the manager splits the run into 8 partitions and runs none itself
			CliFixtures.Result result = manager(sim, input, output, 8, "--no-local-worker");

			// then: one output, one row per record in order, each the answer to its own prompt, one request per row
			assertThat(result.exitCode()).as(result.err()).isZero();
			assertExact(output, rows);
			assertThat(sim.counters().requests()).isEqualTo(rows);
			// and: both workers ran partitions, and the part files are gone
			Map<String, String> by = completedBy();
			assertThat(by).hasSize(8);
			assertThat(new java.util.HashSet<>(by.values())).hasSize(2)
				.containsExactlyInAnyOrder("(pid " + workers.get(0).pid() + ")", "(pid " + workers.get(1).pid() + ")");
			try (var files = java.nio.file.Files.list(dir)) {
				assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.contains(".part-"));
			}
		}
	}
}
