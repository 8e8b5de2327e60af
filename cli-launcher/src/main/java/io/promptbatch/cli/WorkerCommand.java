package io.promptbatch.cli;

import io.promptbatch.batch.ApiKeys;
import io.promptbatch.batch.Endpoints;
import io.promptbatch.batch.StopSignal;
import io.promptbatch.batch.partition.PartitionIntake;
import io.promptbatch.batch.partition.PartitionWorker;
import io.promptbatch.batch.partition.Partitioning;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code promptbatch worker}: takes partitions of runs started with {@code run --partitions} from the shared state
 * database, one at a time, until stopped. On SIGTERM it takes no new partition; the one in hand sends no new request,
 * commits the answers in flight and is handed back to the manager, which gives the rest of it to another worker.
 */
@Command(name = "worker", mixinStandardHelpOptions = true, sortOptions = false,
		description = { "Runs partitions of runs started with 'promptbatch run --state-db URL --partitions N', until stopped.",
				"The input and output paths must be the same on every machine (shared storage); the API key comes from this",
				"machine's environment." },
		footer = { "", "Example:", "  promptbatch worker --state-db jdbc:postgresql://db:5432/promptbatch --concurrency 32" })
final class WorkerCommand extends StateCommand {

	@Option(names = "--concurrency", paramLabel = "N", defaultValue = "0", description = "Requests in flight at most on this worker, whose share of the run's --concurrency (split among the workers running its partitions) is never more; 0 for no cap of its own (default: ${DEFAULT-VALUE}).")
	int concurrency;

	@Option(names = "--exit-when-idle", paramLabel = "DURATION", description = "Exit once no partition has run here for this long, e.g. 30s (default: run until stopped).")
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
		StopSignal stop = new StopSignal(GracefulStop.GRACE);
		CountDownLatch stopAsked = new CountDownLatch(1);
		CountDownLatch finished = new CountDownLatch(1);
		Thread hook = new Thread(() -> {
			System.err.println("promptbatch worker: stopping: no new partition; the one in hand commits its answers in "
					+ "flight and goes back to the manager");
			stop.request();
			stopAsked.countDown();
			try {
				finished.await(GracefulStop.GRACE.toSeconds() + 60, TimeUnit.SECONDS);
			}
			catch (InterruptedException e) {
				Thread.currentThread().interrupt();
			}
		}, "promptbatch-worker-stop");
		Runtime.getRuntime().addShutdownHook(hook);
		ApiKeys keys = parent.environment()::get;
		try (JobSession session = JobSession.open(state, keys, Endpoints.IDENTITY, stop,
				new Partitioning(1, concurrency, version()))) {
			PartitionIntake intake = session.partitionIntake().orElseThrow();
			PartitionWorker worker = session.partitionWorker();
			err.printf("promptbatch worker: %s taking partitions from %s%n", PartitionWorker.identity(), state.where());
			err.flush();
			while (!stopAsked.await(200, TimeUnit.MILLISECONDS)) {
				if (exitWhenIdle != null && worker.idleFor(exitWhenIdle)) {
					err.printf("promptbatch worker: idle for %d s; exiting (%d partitions run)%n", exitWhenIdle.toSeconds(),
							worker.started());
					break;
				}
			}
			intake.close();
			err.flush();
		}
		finally {
			finished.countDown();
		}
		try {
			Runtime.getRuntime().removeShutdownHook(hook);
		}
		catch (IllegalStateException shuttingDown) {
			// the hook runs: it waited for this
		}
		return 0;
	}

	/** This promptbatch's version, which the manager and every worker must share. */
	static String version() {
		String[] lines = new PromptbatchCommand.Version().getVersion();
		return lines[0].substring("promptbatch ".length());
	}
}
