package io.promptbatch.batch;

import io.promptbatch.core.prompt.InputFingerprint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.job.JobInstance;
import org.springframework.batch.core.job.parameters.JobParameters;
import org.springframework.batch.core.repository.JobRepository;

/**
 * The checks that refuse a run ({@link RunRefusedException}) before it writes: a new run over an output it did not
 * write, a stopped run over an output another run wrote since, a run continued on an input changed since it started.
 * Each refusal names the run, what differs and the ways on.
 */
final class RunRefusals {

	private final JobRepository repository;
	private final String jobName;
	private final Function<JobInstance, @Nullable RunRecord> records;

	/** @param records the record of a run, as {@code runs} lists it (null when it has no execution) */
	RunRefusals(JobRepository repository, String jobName, Function<JobInstance, @Nullable RunRecord> records) {
		this.repository = repository;
		this.jobName = jobName;
		this.records = records;
	}

	/**
	 * A new run must not replace an output it did not write. An empty file replaces nothing; a file that
	 * an earlier run wrote is named with that run and what differs, so that the user can continue it or
	 * start anew knowingly.
	 */
	void refuseOutputOfAnother(Path output, JobParameters parameters) throws IOException {
		if (!Files.isRegularFile(output) || Files.size(output) == 0) {
			return;
		}
		JobInstance writer = instanceWithOutput(output);
		String ways = "pass --overwrite (or a new --run-key) to replace it with a new run (answers to requests "
				+ "already answered come from the cache, not paid again, unless --no-cache), or give another --output";
		if (writer == null) {
			throw new RunRefusedException(output + " exists and no run of this state directory wrote it: pass "
					+ "--overwrite to replace it, or give another --output"
					+ " (a run started with another --state-dir continues with that --state-dir)");
		}
		JobExecution last = repository.getLastJobExecution(writer);
		String key = parameters.getString(RunParameters.RUN_KEY);
		if (key != null && !key.equals(last.getJobParameters().getString(RunParameters.RUN_KEY))) {
			// a new --run-key asks for a new run of the same output (a nightly job): it replaces that run's output
			return;
		}
		RunRecord record = records.apply(writer);
		String what = "run " + writer.getInstanceId() + (record == null ? ""
				: " (" + record.status().toString().toLowerCase(Locale.ROOT) + ", " + record.totals().rows()
						+ " of " + last.getJobParameters().getLong(RunParameters.TOTAL, 0L) + " rows written)");
		List<String> differences = RunDifferences.between(last.getJobParameters(), parameters);
		boolean inputChanged = differences.stream().anyMatch(d -> d.startsWith("the input's content"));
		String toContinue = last.getStatus() == BatchStatus.COMPLETED ? ""
				: RunParameters.input(last.getJobParameters()) == null ? " Run " + writer.getInstanceId() + " was started "
						+ "by an earlier version of promptbatch and cannot be continued into this file."
				: inputChanged ? " To continue " + "run " + writer.getInstanceId() + ", restore the input as it was and run "
						+ "the same command again."
						: " To continue run " + writer.getInstanceId() + ", run it with its settings again (or 'promptbatch "
								+ "resume --run " + writer.getInstanceId() + "').";
		throw new RunRefusedException(output + " was written by " + what + " with other settings: "
				+ String.join("; ", differences) + "." + toContinue + " To start a new run with these settings, " + ways
				+ ".");
	}

	/**
	 * A stopped run continues into its own output only: when a later run of this state directory wrote the file
	 * since, continuing would replace that run's rows unasked.
	 */
	void refuseOutputWrittenSince(Path output, JobExecution stopped) throws IOException {
		if (!Files.isRegularFile(output) || Files.size(output) == 0) {
			return;
		}
		JobInstance writer = instanceWithOutput(output);
		long run = stopped.getJobInstance().getInstanceId();
		if (writer != null && writer.getInstanceId() != run) {
			throw new RunRefusedException(output + " was written by run " + writer.getInstanceId() + " after run " + run
					+ " stopped: continuing run " + run + " would replace it. Pass --overwrite to continue run " + run
					+ " into it anew from the first row (its answers come from the journal, not paid again), or give "
					+ "another --output.");
		}
	}

	/**
	 * A run continues on the input it started on: its committed rows are counted in records, so a file
	 * changed since would resume on the wrong rows.
	 */
	void refuseChangedInput(JobExecution target) throws IOException {
		InputFingerprint recorded = RunParameters.input(target.getJobParameters());
		Path input = RunParameters.toSpec(target.getJobParameters()).files().input();
		long run = target.getJobInstance().getInstanceId();
		if (recorded == null) {
			// its input was not recorded, and its output has fewer columns than rows are written with now
			throw new RunRefusedException("run " + run + " was started by an earlier version of promptbatch and cannot "
					+ "be continued into the same file; start a new run of it with 'promptbatch run' and --overwrite (or "
					+ "another --output): the answers it received come from the cache and are not paid again");
		}
		if (!Files.isRegularFile(input)) {
			throw new RunRefusedException("the input " + input + " of run " + run + " is gone; restore it to continue "
					+ "the run");
		}
		InputFingerprint now = InputFingerprint.of(input);
		if (!recorded.sameContent(now)) {
			throw new RunRefusedException("the input " + input + " changed since run " + run + " stopped ("
					+ recorded.changesTo(now) + "): its rows would no longer line up with those already written. "
					+ "Restore the file as it was to continue run " + run + "; or start a new run over the file as it "
					+ "is now with 'promptbatch run' and --overwrite, a new --run-key or another --output (answers to unchanged prompts "
					+ "come from the cache, not paid again, unless --no-cache).");
		}
	}

	/** The newest run that wrote this output file, or null. */
	@Nullable JobInstance instanceWithOutput(Path output) {
		String wanted = output.toAbsolutePath().normalize().toString();
		for (JobInstance instance : repository.getJobInstances(jobName, 0, 10_000)) {
			JobExecution last = repository.getLastJobExecution(instance);
			if (last != null && wanted.equals(last.getJobParameters().getString(RunParameters.OUTPUT))) {
				return instance;
			}
		}
		return null;
	}
}
