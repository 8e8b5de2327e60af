package io.promptbatch.batch.partition;

import io.promptbatch.batch.PromptBatchJobConfiguration;
import io.promptbatch.batch.RunParameters;
import io.promptbatch.batch.RunProgress;
import io.promptbatch.batch.StopSignal;
import io.promptbatch.batch.state.RunShares;
import io.promptbatch.batch.state.SharedRates;
import io.promptbatch.batch.state.StateDatabase;
import java.nio.file.Path;
import java.time.Duration;
import javax.sql.DataSource;
import org.springframework.batch.core.configuration.annotation.JobScope;
import org.springframework.batch.core.job.Job;
import org.springframework.batch.core.job.builder.JobBuilder;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.step.Step;
import org.springframework.batch.core.step.builder.StepBuilder;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.DependsOn;
import org.springframework.transaction.PlatformTransactionManager;

/**
 * The partitioned job of a shared state database: the manager's split, watch and merge steps. The job of a run is
 * {@link PartitionedJob}, which runs this one for runs with partitions and the one-step job otherwise.
 */
@Configuration(proxyBeanMethods = false)
public class PartitionConfiguration {

	/** The manager's step, which sends the partitions and watches them. */
	static final String MANAGER_STEP = "prompt-partitions";

	@Bean
	PartitionChannelSchema partitionChannelSchema(DataSource dataSource, PlatformTransactionManager transactionManager) {
		return new PartitionChannelSchema(dataSource, transactionManager);
	}

	@Bean(destroyMethod = "close")
	PartitionHeartbeats partitionHeartbeats(DataSource dataSource) {
		return new PartitionHeartbeats(dataSource);
	}

	@Bean
	@DependsOn("partitionChannelSchema")
	PartitionRequests partitionRequests(DataSource dataSource) {
		return new PartitionRequests(dataSource);
	}

	/** The limits a run's partitions share: its rates, its concurrency and its budget. */
	@Bean(destroyMethod = "close")
	@DependsOn("stateSchema")
	RunShares runShares(org.springframework.jdbc.core.JdbcTemplate jdbcTemplate,
			PlatformTransactionManager transactionManager, StateDatabase stateDatabase) {
		return new RunShares(jdbcTemplate, transactionManager, stateDatabase.lease());
	}

	@Bean
	@DependsOn("stateSchema")
	PartitionLimits partitionLimits(DataSource dataSource, RunShares runShares, JobRepository jobRepository) {
		return new PartitionLimits(new SharedRates(dataSource), runShares, jobRepository);
	}

	@Bean
	@JobScope
	Step partitionManagerStep(JobRepository jobRepository, PartitionRequests partitionRequests,
			PartitionHeartbeats partitionHeartbeats, StateDatabase stateDatabase, StopSignal stopSignal,
			RunProgress runProgress, PartitionLimits partitionLimits,
			@Value("#{jobParameters['" + PartitionedJob.PARTITIONS + "']}") Long partitions,
			@Value("#{jobParameters['" + RunParameters.FROM + "']}") Long from,
			@Value("#{jobParameters['" + RunParameters.TOTAL + "']}") Long total,
			@Value("#{jobParameters['" + RunParameters.OUTPUT + "']}") String output) {
		Duration lease = stateDatabase.lease();
		// the repository is read a few times per lease, at most every 2 s and at least every 0.2 s
		Duration poll = Duration.ofMillis(Math.max(200, Math.min(2000, lease.toMillis() / 5)));
		return new StepBuilder(MANAGER_STEP, jobRepository)
			.partitioner(PartitionWorker.STEP_NAME, new RecordRangePartitioner(from, total, Path.of(output)))
			.partitionHandler(new LeasePartitionHandler(jobRepository, partitionRequests, partitionHeartbeats,
					PartitionWorker.STEP_NAME, partitions.intValue(), lease, poll, stopSignal, runProgress))
			.listener(partitionLimits.budgetOpener())
			.build();
	}

	@Bean
	Step partitionMergeStep(JobRepository jobRepository, PlatformTransactionManager transactionManager) {
		// named as the one-step job's step: the run's totals are read from it either way
		return new StepBuilder(PromptBatchJobConfiguration.STEP_NAME, jobRepository)
			.tasklet(new PartitionMerge(jobRepository), transactionManager)
			.build();
	}

	@Bean
	PartitionedJob runJob(JobRepository jobRepository, Job promptBatchJob, Step partitionManagerStep,
			Step partitionMergeStep) {
		// not a bean of its own: it has the one-step job's name
		Job partitioned = new JobBuilder(PromptBatchJobConfiguration.JOB_NAME, jobRepository).start(partitionManagerStep)
			.next(partitionMergeStep)
			.build();
		return new PartitionedJob(promptBatchJob, partitioned);
	}
}
