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
import org.springframework.batch.core.BatchStatus;
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
 * a run's lease ({@link RunLeases}) then says whether it is still alive. The repair of abandoned runs and the
 * lease are {@link RunRecovery}'s; the checks that refuse a run before it writes are {@link RunRefusals}'.
 */
public final class RunLauncher {

	private final JobOperator operator;
	private final JobRepository repository;
	private final Job job;
	private final RunLeases leases;
	private final java.util.function.UnaryOperator<JobParameters> extraParameters;
	private final RunRecovery recovery;
	private final RunRefusals refusals;

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
		this.recovery = new RunRecovery(repository, job.getName(), leases);
		this.refusals = new RunRefusals(repository, job.getName(), this::record);
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
		try (RunLeases.Lease lease = recovery.lease(parameters, () -> {
			JobInstance known = repository.getJobInstance(job.getName(), parameters);
			return known == null ? null : known.getInstanceId();
		})) {
			return run(spec, expectedRows, parameters, overwrite);
		}
	}

	private RunOutcome run(RunSpec spec, long expectedRows, JobParameters parameters, boolean overwrite)
			throws Exception {
		recovery.recoverAbandoned();
		JobExecution previous = repository.getLastJobExecution(job.getName(), parameters);
		if (previous == null && !overwrite) {
			refusals.refuseOutputOfAnother(spec.files().output(), parameters);
		}
		if (previous != null && previous.getStatus() != BatchStatus.COMPLETED && !overwrite) {
			refusals.refuseOutputWrittenSince(spec.files().output(), previous);
		}
		if (previous != null && previous.getStatus() == BatchStatus.UNKNOWN) {
			recovery.recoverUnknown(previous);
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

	/**
	 * Continues a run {@link #resumable} found: the given run (by its id, as {@code runs} lists it), or the most recent
	 * failed or stopped run.
	 */
	public RunOutcome resume(Resumable resumable) throws Exception {
		// read again: another process may have completed the run since it was found, which is then told as such
		JobExecution latest = repository.getLastJobExecution(resumable.execution().getJobInstance());
		JobExecution target = latest == null ? resumable.execution() : latest;
		if (target.getStatus() == BatchStatus.UNKNOWN) {
			recovery.recoverUnknown(target);
		}
		long expected = resumable.expectedRows();
		if (target.getStatus() == BatchStatus.COMPLETED) {
			return outcome(target, expected, true, Duration.ZERO);
		}
		refusals.refuseChangedInput(target);
		long run = target.getJobInstance().getInstanceId();
		try (RunLeases.Lease lease = recovery.lease(target.getJobParameters(), () -> run)) {
			if (target.getStatus().isRunning()) {
				// its holder fell silent after this process looked for abandoned runs
				recovery.markFailed(target);
			}
			long start = System.nanoTime();
			JobExecution execution = operator.restart(target);
			return outcome(execution, expected, false, Duration.ofNanos(System.nanoTime() - start));
		}
	}

	/**
	 * A run {@link #resume} continues, with the records its input holds.
	 * @param execution the run's last execution, which {@link #resume} restarts
	 */
	public record Resumable(RunRecord run, long expectedRows, JobExecution execution) {
	}

	/**
	 * The run to continue: the given run, or the most recent failed or stopped run when null; abandoned runs are
	 * marked failed first, so that they are found.
	 */
	public java.util.Optional<Resumable> resumable(@Nullable Long runId) {
		recovery.recoverAbandoned();
		JobExecution target;
		if (runId == null) {
			target = lastRestartable();
		}
		else {
			JobInstance instance = repository.getJobInstance(runId);
			target = instance == null ? null : repository.getLastJobExecution(instance);
		}
		RunRecord record = target == null ? null : record(target.getJobInstance());
		return record == null ? java.util.Optional.empty()
				: java.util.Optional.of(new Resumable(record, target.getJobParameters().getLong(RunParameters.TOTAL, 0L),
						target));
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
		JobInstance instance = refusals.instanceWithOutput(output);
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
		org.springframework.batch.infrastructure.item.ExecutionContext context = step == null ? null
				: step.getExecutionContext();
		if (execution.getStatus() == BatchStatus.STOPPED
				&& execution.getJobParameters().getLong(io.promptbatch.batch.partition.PartitionedJob.PARTITIONS) != null) {
			// a partitioned run stopped before its merge (its budget reached, say): its totals and reason are its
			// partitions'
			context = io.promptbatch.batch.partition.PartitionListing.stopped(repository, execution);
		}
		if (context != null) {
			totals = RunTotals.from(context);
			String reason = context.getString(AnswerWindowReader.STOP_REASON, "");
			String budget = execution.getJobParameters().getString(RunParameters.BUDGET_USD);
			if (AnswerWindowReader.CAP_IGNORED.equals(reason)) {
				stopMessage = context.getString(AnswerWindowReader.STOP_DETAIL, "the server ignored the cap")
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
