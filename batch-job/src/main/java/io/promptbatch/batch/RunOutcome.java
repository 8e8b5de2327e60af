package io.promptbatch.batch;

import io.promptbatch.batch.fanout.RunStoppedException;
import io.promptbatch.batch.output.RunTotals;
import io.promptbatch.core.prompt.InputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.springframework.batch.core.BatchStatus;

/**
 * How a run ended, and the exit code that says so.
 *
 * @param executionId the job execution, or 0 when nothing was run
 * @param instanceId the job instance (the run), or 0 when nothing was run
 * @param status the execution's status
 * @param totals sums over all rows written by this run, across restarts
 * @param expectedRows the rows the input's range holds
 * @param failures what made the execution fail, outermost first
 * @param alreadyComplete the run had completed before; nothing was done
 * @param wall the wall time of this execution
 * @param output the run's output file
 * @param runWall the wall time of all executions of the run, this one included
 * @param stopMessage why the run stopped by itself before the end (e.g. the budget), or null
 * @param submitted a {@code --no-wait} run ended as asked: its batches are created and running
 */
public record RunOutcome(long executionId, long instanceId, BatchStatus status, RunTotals totals, long expectedRows,
		List<Throwable> failures, boolean alreadyComplete, Duration wall, Path output, Duration runWall,
		@Nullable String stopMessage, boolean submitted) {

	public RunOutcome(long executionId, long instanceId, BatchStatus status, RunTotals totals, long expectedRows,
			List<Throwable> failures, boolean alreadyComplete, Duration wall, Path output, Duration runWall,
			@Nullable String stopMessage) {
		this(executionId, instanceId, status, totals, expectedRows, failures, alreadyComplete, wall, output, runWall,
				stopMessage, false);
	}

	/** 0 all rows ok (or, with {@code --no-wait}, the batches submitted); 1 the run failed; 2 bad input; 3 finished with some rows failed. */
	public int exitCode() {
		if (status == BatchStatus.COMPLETED) {
			return totals.failed() > 0 ? 3 : 0;
		}
		if (submitted && status == BatchStatus.STOPPED) {
			return 0;
		}
		if (find(InputException.class) != null
				|| find(io.promptbatch.batch.partition.LeasePartitionHandler.PartitionRefusedException.class) != null) {
			return 2;
		}
		return 1;
	}

	/** A failure to write the output, said plainly, or null. */
	private @Nullable String writeFailure() {
		for (Throwable f : failures) {
			for (Throwable t = f; t != null && t.getCause() != t; t = t.getCause()) {
				String m = String.valueOf(t.getMessage());
				if (m.contains("were not successfully written") || m.contains("No space left on device")
						|| m.contains("Could not write data")) {
					long free = -1;
					try {
						free = Files.getFileStore(output.toAbsolutePath().getParent()).getUsableSpace();
					}
					catch (IOException | RuntimeException e) {
						// unknown
					}
					return "cannot write the output " + output + " (" + (free >= 0 ? free + " bytes free on its disk; " : "")
							+ "is the disk full?): free some space or choose another --output, then run the same "
							+ "command again";
				}
			}
		}
		return null;
	}

	/** The first failure of the given type, searching causes too. */
	public <T extends Throwable> @Nullable T find(Class<T> type) {
		for (Throwable f : failures) {
			for (Throwable t = f; t != null; t = t.getCause()) {
				if (type.isInstance(t)) {
					return type.cast(t);
				}
				if (t.getCause() == t) {
					break;
				}
			}
		}
		return null;
	}

	/** One sentence on why the run failed, for the person at the terminal. */
	public String failureMessage() {
		RunStoppedException stopped = find(RunStoppedException.class);
		if (stopped != null) {
			return stopped.getMessage();
		}
		InputException input = find(InputException.class);
		if (input != null) {
			return input.getMessage();
		}
		if (status == BatchStatus.STOPPED) {
			return stopMessage != null ? stopMessage : "stopped on request";
		}
		String writeFailure = writeFailure();
		if (writeFailure != null) {
			return writeFailure;
		}
		if (failures.isEmpty()) {
			return "the run ended with status " + status;
		}
		Throwable root = failures.get(0);
		while (root.getCause() != null && root.getCause() != root) {
			root = root.getCause();
		}
		return root.getMessage() == null ? root.toString() : root.getMessage();
	}
}
