package io.promptbatch.cli;

import io.promptbatch.batch.ApiKeys;
import io.promptbatch.batch.Endpoints;
import io.promptbatch.batch.PromptBatchApplication;
import io.promptbatch.batch.RunLauncher;
import io.promptbatch.batch.StopSignal;
import io.promptbatch.batch.state.StateLock;
import java.io.IOException;
import java.nio.file.Path;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The state directory held for one command: its lock, its log file, and the application on its
 * database. Close it to release all three.
 */
final class JobSession implements AutoCloseable {

	private final StateLock lock;
	private final ConfigurableApplicationContext context;

	private JobSession(StateLock lock, ConfigurableApplicationContext context) {
		this.lock = lock;
		this.context = context;
	}

	static JobSession open(Path stateDir, ApiKeys keys, Endpoints endpoints, StopSignal stop) throws IOException {
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
			return new JobSession(lock, PromptBatchApplication.start(stateDir, null, keys, endpoints, stop));
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
