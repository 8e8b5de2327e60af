package io.promptbatch.cli;

import io.promptbatch.batch.ApiKeys;
import io.promptbatch.batch.Endpoints;
import io.promptbatch.batch.partition.PartitionIntake;
import io.promptbatch.batch.partition.PartitionWorker;
import io.promptbatch.batch.partition.Partitioning;
import java.io.PrintWriter;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code promptbatch worker}: takes partitions of runs started with {@code run --partitions} from the shared state
 * database, one at a time, until stopped. On SIGTERM it takes no new partition; the one in hand sends no new request,
 * commits the answers in flight and is handed back to the manager, which gives the rest of it to another worker; the
 * worker then exits 0, as nothing is left for the user to do.
 */
@Command(name = "worker", mixinStandardHelpOptions = true, sortOptions = false,
		description = { "Runs partitions of runs started with 'promptbatch run --state-db URL --partitions N', until stopped.",
				"The input and output paths must be the same on every machine (shared storage); the API key comes from this",
				"machine's environment." },
		footer = { "", "Example:", "  promptbatch worker --state-db jdbc:postgresql://db:5432/promptbatch --concurrency 32" })
final class WorkerCommand extends StateCommand {

	/** How often the worker looks whether it was asked to stop or has been idle long enough. */
	private static final Duration IDLE_CHECK = Duration.ofMillis(200);

	@Option(names = "--concurrency", paramLabel = "N", defaultValue = "0", description = "Requests in flight at most on this worker, whose share of the run's --concurrency (split among the workers running its partitions) is never more; 0 for no cap of its own (default: ${DEFAULT-VALUE}).")
	int concurrency;

	@Option(names = "--exit-when-idle", paramLabel = "DURATION", description = "Exit (0) once no partition has run here for this long, counted from the start too, e.g. 2m; never in the middle of a partition (default: run until stopped).")
	@Nullable Duration exitWhenIdle;

	@Override
	public Integer call() throws Exception {
		PrintWriter err = err();
		if (state.stateDb == null || state.stateDb.isBlank()) {
			throw new PromptbatchCommand.UsageException("worker needs --state-db JDBC_URL: the database the run's manager "
					+ "(promptbatch run --partitions N) uses");
		}
		if (concurrency < 0) {
			throw new PromptbatchCommand.UsageException("--concurrency must not be negative, was " + concurrency);
		}
		ApiKeys keys = parent.environment()::get;
		// SIGTERM ends a worker as it is meant to end: its partition is handed back and nothing waits on the user (exit 0)
		try (GracefulStop stop = GracefulStop.install("promptbatch worker: stopping: no new partition; the one in hand "
				+ "commits its answers in flight and goes back to the manager", 0);
				JobSession session = JobSession.open(state, keys, Endpoints.IDENTITY, stop.signal(),
						new Partitioning(1, concurrency, version()))) {
			PartitionIntake intake = session.partitionIntake().orElseThrow();
			PartitionWorker worker = session.partitionWorker();
			worker.idleFromNow();
			err.printf("promptbatch worker: %s taking partitions from %s%n", PartitionWorker.identity(), state.where());
			err.flush();
			while (!stop.signal().requested()) {
				if (exitWhenIdle != null && worker.idleFor(exitWhenIdle)) {
					err.printf("promptbatch worker: idle for %d s; exiting (%d partitions run)%n", exitWhenIdle.toSeconds(),
							worker.started());
					break;
				}
				Thread.sleep(IDLE_CHECK.toMillis());
			}
			intake.close();
			err.flush();
		}
		return 0;
	}

	/** This promptbatch's version, which the manager and every worker must share. */
	static String version() {
		String[] lines = new PromptbatchCommand.Version().getVersion();
		return lines[0].substring("promptbatch ".length());
	}
}
