package io.promptbatch.batch;

import io.promptbatch.batch.batchapi.BatchApiTasklet;
import io.promptbatch.batch.fanout.AnswerWindowReader;
import io.promptbatch.batch.output.RunTotals;
import io.promptbatch.batch.state.RunLeases;
import io.promptbatch.core.prompt.InputFingerprint;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.job.DefaultJobKeyGenerator;
import org.springframework.batch.core.job.Job;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.job.JobInstance;
import org.springframework.batch.core.job.parameters.JobParameters;
import org.springframework.batch.core.launch.JobInstanceAlreadyCompleteException;
import org.springframework.batch.core.launch.JobOperator;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.step.StepExecution;

/**
 * Starts, restarts and resumes runs. The caller holds the state directory's lock, so any execution
 * still marked as running was left by a process that died: it is marked failed first, which makes it
 * restartable from its last commit. With a shared state database, the holder may be on another machine:
 * a run's lease ({@link RunLeases}) then says whether it is still alive.
 *
 * <p>It is one piece because starting, resuming and listing runs all read the same job repository state (the
 * abandoned executions it repairs first, the output and input each run names) and must agree on it.
 */
public final class RunLauncher {

	private static final Logger log = LoggerFactory.getLogger(RunLauncher.class);

	private static final DefaultJobKeyGenerator JOB_KEYS = new DefaultJobKeyGenerator();

	private final JobOperator operator;
	private final JobRepository repository;
	private final Job job;
	private final RunLeases leases;
	private final java.util.function.UnaryOperator<JobParameters> extraParameters;

	/**
	 * @param leases who runs which run, when the state database is shared by several machines (then a run
	 *     marked as running is taken over only from a process that is gone); {@link RunLeases#none()} for the
	 *     H2 file of a state directory
	 */
	public RunLauncher(JobOperator operator, JobRepository repository, Job job, RunLeases leases) {
		this(operator, repository, job, leases, p -> p);
	}

	private RunLauncher(JobOperator operator, JobRepository repository, Job job, RunLeases leases,
			java.util.function.UnaryOperator<JobParameters> extraParameters) {
		this.operator = operator;
		this.repository = repository;
		this.job = job;
		this.leases = leases;
		this.extraParameters = extraParameters;
	}

	/**
	 * This launcher for runs in partitions: the run's parameters also name the number of partitions (part of the
	 * run's identity) and the manager's version, which the workers must run.
	 */
	public RunLauncher partitioned(int partitions, String version) {
		return new RunLauncher(operator, repository, job, leases, p -> new org.springframework.batch.core.job.parameters.JobParametersBuilder(p)
			.addLong(io.promptbatch.batch.partition.PartitionedJob.PARTITIONS, (long) partitions)
			.addString(io.promptbatch.batch.partition.PartitionedJob.VERSION, version, false)
			.toJobParameters());
	}

	/**
	 * Runs the spec: a new run, the continuation of a failed or killed one with the same identifying
	 * parameters, or nothing when that run already completed.
	 */
	public RunOutcome run(RunSpec spec, long expectedRows, List<String> columns) throws Exception {
		return run(spec, expectedRows, columns, InputFingerprint.of(spec.files().input()), false);
	}

	/**
	 * Runs the spec, as {@link #run(RunSpec, long, List)}, on the input as the scan read it.
	 * @param overwrite replace an output that this run did not write (another run's, or a file of the
	 *     user's); without it such an output is refused
	 * @throws RunRefusedException when the output exists and another run, or no run, wrote it
	 */
	public RunOutcome run(RunSpec spec, long expectedRows, List<String> columns, InputFingerprint input,
			boolean overwrite) throws Exception {
		JobParameters parameters = extraParameters.apply(RunParameters.of(spec, expectedRows, columns, input));
		try (RunLeases.Lease lease = lease(parameters, () -> {
			JobInstance known = repository.getJobInstance(job.getName(), parameters);
			return known == null ? null : known.getInstanceId();
		})) {
			return run(spec, expectedRows, parameters, overwrite);
		}
	}

	private RunOutcome run(RunSpec spec, long expectedRows, JobParameters parameters, boolean overwrite)
			throws Exception {
		recoverAbandoned();
		JobExecution previous = repository.getLastJobExecution(job.getName(), parameters);
		if (previous == null && !overwrite) {
			refuseOutputOfAnother(spec.files().output(), parameters);
		}
		if (previous != null && previous.getStatus() != BatchStatus.COMPLETED && !overwrite) {
			refuseOutputWrittenSince(spec.files().output(), previous);
		}
		if (previous != null && previous.getStatus() == BatchStatus.UNKNOWN) {
			recoverUnknown(previous);
		}
		long start = System.nanoTime();
		JobExecution execution;
		try {
			execution = operator.start(job, parameters);
		}
		catch (JobInstanceAlreadyCompleteException e) {
			JobExecution last = repository.getLastJobExecution(job.getName(), parameters);
			return outcome(last, expectedRows, true, Duration.ZERO);
		}
		return outcome(execution, expectedRows, false, Duration.ofNanos(System.nanoTime() - start));
	}

	/** Continues the given run (by its id, as {@code runs} lists it), or the most recent failed or stopped run when null. */
	public RunOutcome resume(@Nullable Long runId) throws Exception {
		JobExecution target = toResume(runId);
		if (target == null) {
			throw new IllegalArgumentException(runId == null ? "there is no failed or stopped run to resume"
					: "there is no run " + runId);
		}
		if (target.getStatus() == BatchStatus.UNKNOWN) {
			recoverUnknown(target);
		}
		long expected = target.getJobParameters().getLong(RunParameters.TOTAL, 0L);
		if (target.getStatus() == BatchStatus.COMPLETED) {
			return outcome(target, expected, true, Duration.ZERO);
		}
		refuseChangedInput(target);
		long run = target.getJobInstance().getInstanceId();
		try (RunLeases.Lease lease = lease(target.getJobParameters(), () -> run)) {
			if (target.getStatus().isRunning()) {
				// its holder fell silent after this process looked for abandoned runs
				markFailed(target);
			}
			long start = System.nanoTime();
			JobExecution execution = operator.restart(target);
			return outcome(execution, expected, false, Duration.ofNanos(System.nanoTime() - start));
		}
	}

	/** The last execution of the given run, or of the most recent failed or stopped run when null; or null. */
	private @Nullable JobExecution toResume(@Nullable Long runId) {
		recoverAbandoned();
		if (runId == null) {
			return lastRestartable();
		}
		JobInstance instance = repository.getJobInstance(runId);
		return instance == null ? null : repository.getLastJobExecution(instance);
	}

	/** A run {@link #resume} would continue, with the records its input holds. */
	public record Resumable(RunRecord run, long expectedRows) {
	}

	/** The run {@link #resume} would continue for the same argument, when there is one. */
	public java.util.Optional<Resumable> resumable(@Nullable Long runId) {
		JobExecution target = toResume(runId);
		RunRecord record = target == null ? null : record(target.getJobInstance());
		return record == null ? java.util.Optional.empty()
				: java.util.Optional.of(new Resumable(record, target.getJobParameters().getLong(RunParameters.TOTAL, 0L)));
	}

	/**
	 * A new run must not replace an output it did not write. An empty file replaces nothing; a file that
	 * an earlier run wrote is named with that run and what differs, so that the user can continue it or
	 * start anew knowingly.
	 */
	private void refuseOutputOfAnother(java.nio.file.Path output, JobParameters parameters) throws java.io.IOException {
		if (!java.nio.file.Files.isRegularFile(output) || java.nio.file.Files.size(output) == 0) {
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
		RunRecord record = record(writer);
		String what = "run " + writer.getInstanceId() + (record == null ? ""
				: " (" + record.status().toString().toLowerCase(java.util.Locale.ROOT) + ", " + record.totals().rows()
						+ " of " + last.getJobParameters().getLong(RunParameters.TOTAL, 0L) + " rows written)");
		List<String> differences = RunParameters.differences(last.getJobParameters(), parameters);
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
	private void refuseOutputWrittenSince(java.nio.file.Path output, JobExecution stopped) throws java.io.IOException {
		if (!java.nio.file.Files.isRegularFile(output) || java.nio.file.Files.size(output) == 0) {
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
	private void refuseChangedInput(JobExecution target) throws java.io.IOException {
		InputFingerprint recorded = RunParameters.input(target.getJobParameters());
		java.nio.file.Path input = RunParameters.toSpec(target.getJobParameters()).files().input();
		long run = target.getJobInstance().getInstanceId();
		if (recorded == null) {
			// its input was not recorded, and its output has fewer columns than rows are written with now
			throw new RunRefusedException("run " + run + " was started by an earlier version of promptbatch and cannot "
					+ "be continued into the same file; start a new run of it with 'promptbatch run' and --overwrite (or "
					+ "another --output): the answers it received come from the cache and are not paid again");
		}
		if (!java.nio.file.Files.isRegularFile(input)) {
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
	private @Nullable JobInstance instanceWithOutput(java.nio.file.Path output) {
		String wanted = output.toAbsolutePath().normalize().toString();
		for (JobInstance instance : repository.getJobInstances(job.getName(), 0, 10_000)) {
			JobExecution last = repository.getLastJobExecution(instance);
			if (last != null && wanted.equals(last.getJobParameters().getString(RunParameters.OUTPUT))) {
				return instance;
			}
		}
		return null;
	}

	/** The most recent runs, newest first. */
	public List<RunRecord> runs(int max) {
		List<RunRecord> records = new ArrayList<>();
		for (JobInstance instance : repository.getJobInstances(job.getName(), 0, max)) {
			RunRecord r = record(instance);
			if (r != null) {
				records.add(r);
			}
		}
		return records;
	}

	/** The run with this id, if there is one. */
	public java.util.Optional<RunRecord> run(long runId) {
		JobInstance instance = repository.getJobInstance(runId);
		return instance == null ? java.util.Optional.empty() : java.util.Optional.ofNullable(record(instance));
	}

	/** The newest run that wrote this output file, if there is one. */
	public java.util.Optional<RunRecord> runWithOutput(java.nio.file.Path output) {
		// the output parameter is compared first: a whole record reads the run's step and its totals
		JobInstance instance = instanceWithOutput(output);
		return instance == null ? java.util.Optional.empty() : java.util.Optional.ofNullable(record(instance));
	}

	private @Nullable RunRecord record(JobInstance instance) {
		List<JobExecution> executions = repository.getJobExecutions(instance);
		JobExecution last = repository.getLastJobExecution(instance);
		if (last == null) {
			return null;
		}
		LocalDateTime started = null;
		for (JobExecution e : executions) {
			if (e.getStartTime() != null && (started == null || e.getStartTime().isBefore(started))) {
				started = e.getStartTime();
			}
		}
		StepExecution step = repository.getLastStepExecution(instance, PromptBatchJobConfiguration.STEP_NAME);
		RunTotals totals = step == null ? new RunTotals() : RunTotals.from(step.getExecutionContext());
		return new RunRecord(instance.getInstanceId(), last.getId(), started, last.getEndTime(), last.getStatus(),
				RunParameters.toSpec(last.getJobParameters()), totals, wallOf(executions));
	}

	/** The time spent in all of a run's executions (one still running counts up to now). */
	private static Duration wallOf(List<JobExecution> executions) {
		Duration wall = Duration.ZERO;
		for (JobExecution e : executions) {
			if (e.getStartTime() != null) {
				LocalDateTime end = e.getEndTime() != null ? e.getEndTime() : LocalDateTime.now();
				wall = wall.plus(Duration.between(e.getStartTime(), end));
			}
		}
		return wall;
	}

	/**
	 * Mean completion tokens per answered row over earlier runs of a model, with how many runs it
	 * comes from; empty when there are none. Runs answered by the built-in simulator do not count: their
	 * answers are fake, and much shorter than a model's.
	 */
	public java.util.Optional<double[]> completionHistory(String model) {
		long rows = 0;
		long tokens = 0;
		int runs = 0;
		for (RunRecord r : runs(500)) {
			if (r.spec().target().model().equals(model) && r.totals().ok() > 0 && !Endpoints.isSimulator(r.spec().target().baseUrl())) {
				rows += r.totals().ok();
				tokens += r.totals().completionTokens();
				runs++;
			}
		}
		return rows == 0 ? java.util.Optional.empty() : java.util.Optional.of(new double[] { (double) tokens / rows, runs });
	}

	/** The output file of the run an execution belongs to. */
	public java.nio.file.Path outputOf(long executionId) {
		JobExecution execution = repository.getJobExecution(executionId);
		if (execution == null) {
			throw new IllegalArgumentException("there is no run execution " + executionId);
		}
		return RunParameters.toSpec(execution.getJobParameters()).files().output();
	}

	private @Nullable JobExecution lastRestartable() {
		for (JobInstance instance : repository.getJobInstances(job.getName(), 0, 50)) {
			JobExecution last = repository.getLastJobExecution(instance);
			if (last != null && (last.getStatus() == BatchStatus.FAILED || last.getStatus() == BatchStatus.STOPPED
					|| last.getStatus() == BatchStatus.UNKNOWN)) {
				return last;
			}
		}
		return null;
	}

	/**
	 * The lease of a run (a no-op on a state directory's own H2 file, which its lock gives to one process).
	 * @throws RunRefusedException when another live process runs it
	 */
	private RunLeases.Lease lease(JobParameters parameters, java.util.function.Supplier<@Nullable Long> runId) {
		try {
			return leases.acquire(JOB_KEYS.generateKey(parameters));
		}
		catch (RunLeases.HeldException e) {
			RunLeases.Holder h = e.holder();
			Long id = runId.get();
			String run = id == null ? "this run" : "run " + id;
			throw new RunRefusedException(run + " is running on host " + h.host() + " (pid " + h.pid() + "), last seen "
					+ h.silentSeconds() + " s ago; wait for it to end, or if that process is gone, run this again once it "
					+ "has been silent for " + leases.period().toSeconds() + " s (--state-db-lease): the run is then taken "
					+ "over from its last commit");
		}
	}

	/**
	 * Marks executions left running by a dead process as failed, so that they can restart. With a shared state
	 * database, a run whose lease another live process holds is left alone.
	 */
	private void recoverAbandoned() {
		for (JobExecution running : repository.findRunningJobExecutions(job.getName())) {
			if (leases.heldByAnother(JOB_KEYS.generateKey(running.getJobParameters())).isPresent()) {
				// running on another machine that shares the state database
				continue;
			}
			log.warn("Run {} (execution {}) was interrupted while running; it will continue from its last commit",
					running.getJobInstance().getInstanceId(), running.getId());
			markFailed(running);
		}
	}

	/**
	 * Spring Batch marks an execution UNKNOWN when a chunk's commit failed (for example the output's disk
	 * was full when the file was flushed, just before the database commit). For this job that is safe
	 * to restart: the output is truncated back to the last committed position, the rows to skip come
	 * from the same committed context, and answers received since are in the journal.
	 */
	private void recoverUnknown(JobExecution execution) {
		log.warn("Run {} (execution {}) ended while committing a chunk; it will continue from its last commit",
				execution.getJobInstance().getInstanceId(), execution.getId());
		markFailed(execution);
	}

	private void markFailed(JobExecution execution) {
		for (StepExecution step : execution.getStepExecutions()) {
			if (step.getStatus().isRunning() || step.getStatus() == BatchStatus.UNKNOWN) {
				markFailed(step);
			}
		}
		execution.setStatus(BatchStatus.FAILED);
		execution.setEndTime(LocalDateTime.now());
		repository.update(execution);
	}

	/**
	 * Marks a step failed. A partition of a run whose manager died may still be committing on a live worker: its
	 * latest state is marked then, and the worker's next commit fails (its version moved), so that the partition
	 * continues from its last commit when the run restarts.
	 */
	private void markFailed(StepExecution step) {
		StepExecution current = step;
		for (int attempt = 1;; attempt++) {
			current.setStatus(BatchStatus.FAILED);
			current.setEndTime(LocalDateTime.now());
			try {
				repository.update(current);
				return;
			}
			catch (org.springframework.dao.OptimisticLockingFailureException committedMeanwhile) {
				StepExecution latest = repository.getStepExecution(current.getId());
				if (attempt >= 10 || latest == null) {
					throw committedMeanwhile;
				}
				if (!latest.getStatus().isRunning() && latest.getStatus() != BatchStatus.UNKNOWN) {
					return;
				}
				current = latest;
			}
		}
	}

	/**
	 * A sentence on how far the budget was crossed, or nothing when it holds. It is crossed only by answers
	 * longer than their cap (a server that ignores the cap's field), which stop the run at the first.
	 */
	static String overBudget(@Nullable String budget, RunTotals totals) {
		if (budget == null) {
			return "";
		}
		java.math.BigDecimal over = totals.costUsd().subtract(new java.math.BigDecimal(budget));
		return over.signum() <= 0 ? ""
				: "; the budget of $" + budget + " was exceeded by $" + over.toPlainString() + " ($"
						+ totals.costUsd().toPlainString() + " spent) by answers longer than their cap";
	}

	private RunOutcome outcome(@Nullable JobExecution execution, long expectedRows, boolean alreadyComplete,
			Duration wall) {
		if (execution == null) {
			throw new IllegalStateException("the run has no execution");
		}
		RunTotals totals = new RunTotals();
		StepExecution step = repository.getLastStepExecution(execution.getJobInstance(),
				PromptBatchJobConfiguration.STEP_NAME);
		String stopMessage = null;
		if (step != null) {
			totals = RunTotals.from(step.getExecutionContext());
			String reason = step.getExecutionContext().getString(AnswerWindowReader.STOP_REASON, "");
			String budget = execution.getJobParameters().getString(RunParameters.BUDGET_USD);
			if (AnswerWindowReader.CAP_IGNORED.equals(reason)) {
				stopMessage = step.getExecutionContext().getString(AnswerWindowReader.STOP_DETAIL, "the server ignored the cap")
						+ overBudget(budget, totals);
			}
			else if (AnswerWindowReader.BUDGET.equals(reason)) {
				stopMessage = "the budget of $" + budget + " is reached ($" + totals.costUsd().toPlainString()
						+ " spent): the next request could cross it; run the same command with a higher --budget-usd to "
						+ "continue" + overBudget(budget, totals);
			}
		}
		// a --batch-api run that ended while its batches run at the provider
		String batches = execution.getStatus() == BatchStatus.STOPPED
				? execution.getExecutionContext().getString(BatchApiTasklet.ENDING, null) : null;
		if (BatchApiTasklet.SUBMITTED.equals(batches)) {
			stopMessage = "the batches are submitted and run at the provider; run the same command again (or "
					+ "'promptbatch resume') to wait for them and write their answers";
		}
		else if (BatchApiTasklet.WAITING.equals(batches)) {
			stopMessage = "stopped while waiting for the batches, which keep running at the provider (nothing is "
					+ "uploaded or paid twice); run the same command again to collect them, or 'promptbatch cancel' to "
					+ "cancel them";
		}
		List<Throwable> failures = new ArrayList<>(execution.getAllFailureExceptions());
		Duration runWall = wallOf(repository.getJobExecutions(execution.getJobInstance()));
		return new RunOutcome(execution.getId(), execution.getJobInstance().getInstanceId(), execution.getStatus(),
				totals, expectedRows, failures, alreadyComplete, wall,
				RunParameters.toSpec(execution.getJobParameters()).files().output(), runWall, stopMessage,
				BatchApiTasklet.SUBMITTED.equals(batches));
	}
}
