package io.promptbatch.batch.partition;

import org.springframework.batch.core.job.Job;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.job.JobInterruptedException;
import org.springframework.batch.core.job.parameters.JobParametersValidator;

/**
 * The promptbatch job, on one machine or in partitions: a run whose parameters ask for partitions runs the partitioned
 * job (split, partitions on the workers, merge), any other the one-step job. Both are the same job by name, so that
 * runs, resume and the run's identity do not depend on how a run is carried out. It is not a bean of type {@link Job}
 * itself ({@link #job()}), since Spring Batch registers every such bean by its name, and the name is the same.
 */
public final class PartitionedJob {

	/** The number of partitions of a run (identifying: another number is another run). */
	public static final String PARTITIONS = "partitions";

	/** The manager's promptbatch version, which every worker must run (not identifying). */
	public static final String VERSION = "promptbatch.version";

	private final Job single;
	private final Job partitioned;

	public PartitionedJob(Job single, Job partitioned) {
		this.single = single;
		this.partitioned = partitioned;
	}

	/** The job of every run. */
	public Job job() {
		return new Job() {

			@Override
			public String getName() {
				return single.getName();
			}

			@Override
			public void execute(JobExecution execution) throws JobInterruptedException {
				(execution.getJobParameters().getLong(PARTITIONS) != null ? partitioned : single).execute(execution);
			}

			@Override
			public JobParametersValidator getJobParametersValidator() {
				return single.getJobParametersValidator();
			}
		};
	}
}
