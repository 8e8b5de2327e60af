package io.promptbatch.cli;

import io.promptbatch.batch.ApiKeys;
import io.promptbatch.batch.Endpoints;
import io.promptbatch.batch.PromptBatchApplication;
import io.promptbatch.batch.RunLauncher;
import io.promptbatch.batch.StopSignal;
import io.promptbatch.batch.state.StateDatabase;
import io.promptbatch.batch.state.StateDatabaseException;
import io.promptbatch.batch.state.StateLock;
import java.io.IOException;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The state directory held for one command: its lock, its log file, and the application on its
 * database (the directory's H2 file, or the shared database of {@code --state-db}). Close it to release
 * all three.
 */
final class JobSession implements AutoCloseable {

	private final StateLock lock;
	private final ConfigurableApplicationContext context;

	private JobSession(StateLock lock, ConfigurableApplicationContext context) {
		this.lock = lock;
		this.context = context;
	}

	/** Opens the state of a command's options: its state directory, and its shared database when given. */
	static JobSession open(StateOptions state, ApiKeys keys, Endpoints endpoints, StopSignal stop) throws IOException {
		return open(state, keys, endpoints, stop, io.promptbatch.batch.partition.Partitioning.NONE);
	}

	/** Opens the state of a command's options, taking partitions of runs as {@code partitioning} says. */
	static JobSession open(StateOptions state, ApiKeys keys, Endpoints endpoints, StopSignal stop,
			io.promptbatch.batch.partition.Partitioning partitioning) throws IOException {
		return open(state.stateDir.toAbsolutePath(), state.database(), keys, endpoints, stop, partitioning);
	}

	/**
	 * @param stateDb the shared state database, or null for the H2 file under the state directory
	 */
	static JobSession open(Path stateDir, @Nullable StateDatabase stateDb, ApiKeys keys, Endpoints endpoints,
			StopSignal stop) throws IOException {
		return open(stateDir, stateDb, keys, endpoints, stop, io.promptbatch.batch.partition.Partitioning.NONE);
	}

	private static JobSession open(Path stateDir, @Nullable StateDatabase stateDb, ApiKeys keys, Endpoints endpoints,
			StopSignal stop, io.promptbatch.batch.partition.Partitioning partitioning) throws IOException {
		StateLock lock;
		try {
			lock = StateLock.acquire(stateDir);
		}
		catch (IllegalStateException e) {
			throw new PromptbatchCommand.UsageException(e.getMessage());
		}
		catch (IOException e) {
			throw new PromptbatchCommand.UsageException(StateOptions.unusable(stateDir, e));
		}
		try {
			// promptbatch configures its own logging; keep Spring Boot from replacing it
			System.setProperty("org.springframework.boot.logging.LoggingSystem", "none");
			LoggingSetup.toFile(stateDir.resolve("promptbatch.log"));
			return new JobSession(lock, PromptBatchApplication.start(stateDir, stateDb, keys, endpoints, stop,
					partitioning));
		}
		catch (StateDatabaseException e) {
			lock.close();
			throw new PromptbatchCommand.UsageException(e.getMessage());
		}
		catch (RuntimeException e) {
			lock.close();
			throw e;
		}
	}

	io.promptbatch.batch.RunProgress progress() {
		return context.getBean(io.promptbatch.batch.RunProgress.class);
	}

	io.promptbatch.batch.journal.ResponseJournal journal() {
		return context.getBean(io.promptbatch.batch.journal.ResponseJournal.class);
	}

	/** This process's intake of partitions, when it takes any. */
	java.util.Optional<io.promptbatch.batch.partition.PartitionIntake> partitionIntake() {
		return java.util.Optional.ofNullable(context.getBeanProvider(io.promptbatch.batch.partition.PartitionIntake.class)
			.getIfAvailable());
	}

	io.promptbatch.batch.partition.PartitionWorker partitionWorker() {
		return context.getBean(io.promptbatch.batch.partition.PartitionWorker.class);
	}

	/** The partitions of a run, each attempt; empty for a run on one machine. */
	java.util.List<io.promptbatch.batch.partition.PartitionListing.Attempt> partitions(long runId) {
		return io.promptbatch.batch.partition.PartitionListing.of(
				context.getBean(org.springframework.batch.core.repository.JobRepository.class), runId);
	}

	io.promptbatch.batch.batchapi.BatchLedger batchLedger() {
		return context.getBean(io.promptbatch.batch.batchapi.BatchLedger.class);
	}

	RunLauncher launcher() {
		return context.getBean(RunLauncher.class);
	}

	@Override
	public void close() throws IOException {
		try {
			context.close();
		}
		finally {
			lock.close();
		}
	}
}
