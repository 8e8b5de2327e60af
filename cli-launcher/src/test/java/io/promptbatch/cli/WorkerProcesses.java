package io.promptbatch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.promptbatch.testsupport.PostgresServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;

/**
 * A database of its own on the shared PostgreSQL server, its login, and the {@code promptbatch worker} processes
 * started against it, each with its state directory and log under the test's directory; {@link #stop} ends them.
 */
final class WorkerProcesses {

	final PostgresServer pg = PostgresServer.shared();

	final String url = pg.url(pg.newDatabase());

	private final Path dir;

	private final List<Process> started = new ArrayList<>();

	WorkerProcesses(Path dir) {
		this.dir = dir;
	}

	/** The database's login, as the environment gives it to promptbatch. */
	Map<String, String> login() {
		return Map.of("PROMPTBATCH_STATE_DB_USER", pg.user(), "PROMPTBATCH_STATE_DB_PASSWORD", pg.password());
	}

	/** The worker process started {@code i}-th (0 first), across calls of {@link #start}. */
	Process get(int i) {
		return started.get(i);
	}

	/**
	 * Starts {@code count} workers ({@code worker --state-db URL --state-dir worker-N} and {@code options}, logging to
	 * {@code worker-N.log}, N counting across calls) and waits until each takes partitions.
	 */
	List<CliProcess> start(int count, String... options) throws Exception {
		List<CliProcess> logs = new ArrayList<>();
		for (int n = 0; n < count; n++) {
			int i = started.size() + 1;
			CliProcess worker = new CliProcess(dir.resolve("worker-" + i + ".log"));
			List<String> args = new ArrayList<>(List.of("worker", "--state-db", url, "--state-dir",
					dir.resolve("worker-" + i).toString()));
			args.addAll(List.of(options));
			started.add(worker.start(login(), List.of("-Xmx256m"), args.toArray(String[]::new)));
			logs.add(worker);
		}
		for (int n = 0; n < count; n++) {
			CliProcess worker = logs.get(n);
			Process process = started.get(started.size() - count + n);
			Awaitility.await().atMost(Duration.ofSeconds(60))
				.until(() -> worker.log().contains("taking partitions from") || !process.isAlive());
			assertThat(process.isAlive()).as(worker::log).isTrue();
		}
		return logs;
	}

	/** Ends every worker started. */
	void stop() throws InterruptedException {
		for (Process p : started) {
			p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
		}
	}
}
