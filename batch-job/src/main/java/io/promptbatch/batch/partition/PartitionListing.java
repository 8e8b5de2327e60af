package io.promptbatch.batch.partition;

import io.promptbatch.batch.fanout.AnswerWindowReader;
import io.promptbatch.batch.output.RunTotals;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.job.JobInstance;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.batch.infrastructure.item.ExecutionContext;

/** The partitions of a run as the job repository holds them: each attempt, its range, its worker and its rows. */
public final class PartitionListing {

	/**
	 * One attempt of a partition.
	 * @param name the partition ({@code p0003})
	 * @param worker the worker that ran it ({@code host (pid N)}), or null when none took it
	 * @param rows the rows it had committed
	 * @param exitDescription why it ended as it did, when it says
	 */
	public record Attempt(String name, long stepExecutionId, BatchStatus status, @Nullable String worker, long from,
			long to, long rows, String exitDescription) {
	}

	private PartitionListing() {
	}

	/** How many of these attempts were taken over from a silent worker. */
	public static long takeovers(List<Attempt> attempts) {
		return attempts.stream().filter(a -> a.exitDescription().startsWith(LeasePartitionHandler.TAKEN_OVER)).count();
	}

	/**
	 * The attempts handed back by a stopped worker (SIGTERM): stopped, and followed by another attempt of the same
	 * partition.
	 */
	public static List<Attempt> handedBack(List<Attempt> attempts) {
		List<Attempt> handed = new ArrayList<>();
		for (int i = 0; i + 1 < attempts.size(); i++) {
			Attempt a = attempts.get(i);
			if (a.status() == BatchStatus.STOPPED && attempts.get(i + 1).name().equals(a.name())) {
				handed.add(a);
			}
		}
		return handed;
	}

	/** The workers that ran these attempts, each once, in the order first seen. */
	public static List<String> workers(List<Attempt> attempts) {
		return attempts.stream().map(Attempt::worker).filter(java.util.Objects::nonNull).distinct().toList();
	}

	/** Each partition's last execution, in partition order ({@code p0000} first); null for one that has none yet. */
	static List<@Nullable StepExecution> lastExecutions(JobRepository repository, JobExecution execution) {
		int partitions = execution.getJobParameters().getLong(PartitionedJob.PARTITIONS, 1L).intValue();
		List<@Nullable StepExecution> last = new ArrayList<>(partitions);
		for (int i = 0; i < partitions; i++) {
			last.add(repository.getLastStepExecution(execution.getJobInstance(), stepName(i)));
		}
		return last;
	}

	/** The step name of the {@code i}-th partition. */
	static String stepName(int i) {
		return PartitionWorker.STEP_NAME + ":" + RecordRangePartitioner.name(i);
	}

	/**
	 * The totals and the reason to stop of a partitioned run that stopped before its merge (a partition stopped by
	 * the run's budget, say), in the shape of the merge step's context: its partitions' last executions' totals summed,
	 * and the first reason a partition stopped for, with its sentence.
	 */
	public static ExecutionContext stopped(JobRepository repository, JobExecution execution) {
		RunTotals totals = new RunTotals();
		ExecutionContext stopped = new ExecutionContext();
		for (StepExecution last : lastExecutions(repository, execution)) {
			if (last == null) {
				continue;
			}
			ExecutionContext context = last.getExecutionContext();
			totals = totals.plus(RunTotals.from(context));
			if (!stopped.containsKey(AnswerWindowReader.STOP_REASON) && context.containsKey(AnswerWindowReader.STOP_REASON)) {
				stopped.putString(AnswerWindowReader.STOP_REASON, context.getString(AnswerWindowReader.STOP_REASON));
				if (context.containsKey(AnswerWindowReader.STOP_DETAIL)) {
					stopped.putString(AnswerWindowReader.STOP_DETAIL, context.getString(AnswerWindowReader.STOP_DETAIL));
				}
			}
		}
		totals.saveTo(stopped);
		return stopped;
	}

	/** Every attempt of every partition of the run, by partition and then in order; empty for a run on one machine. */
	public static List<Attempt> of(JobRepository repository, long runId) {
		JobInstance instance = repository.getJobInstance(runId);
		List<Attempt> attempts = new ArrayList<>();
		if (instance == null) {
			return attempts;
		}
		String prefix = PartitionWorker.STEP_NAME + ":";
		for (JobExecution execution : repository.getJobExecutions(instance)) {
			for (StepExecution step : execution.getStepExecutions()) {
				if (!step.getStepName().startsWith(prefix)) {
					continue;
				}
				// the job execution's steps come with their contexts (SimpleJobExplorer.getJobExecutions)
				StepExecution s = step;
				var context = s.getExecutionContext();
				attempts.add(new Attempt(s.getStepName().substring(prefix.length()), s.getId(), s.getStatus(),
						context.containsKey(PartitionWorker.WORKER) ? context.getString(PartitionWorker.WORKER) : null,
						context.getLong(RecordRangePartitioner.FROM, 0L), context.getLong(RecordRangePartitioner.TO, 0L),
						RunTotals.from(context).rows(), s.getExitStatus().getExitDescription()));
			}
		}
		attempts.sort(Comparator.comparing(Attempt::name).thenComparingLong(Attempt::stepExecutionId));
		return attempts;
	}
}
