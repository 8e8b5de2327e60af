package io.promptbatch.batch.partition;

import io.promptbatch.batch.StopSignal;
import io.promptbatch.batch.fanout.AnswerRow;
import io.promptbatch.batch.state.StateDatabase;
import java.sql.DriverManager;
import java.time.Duration;
import org.postgresql.jdbc.PgConnection;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.infrastructure.item.ItemStreamReader;
import org.springframework.batch.infrastructure.item.ItemStreamWriter;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.DependsOn;
import org.springframework.integration.config.EnableIntegration;
import org.springframework.integration.jdbc.channel.PostgresChannelMessageTableSubscriber;
import org.springframework.integration.jdbc.channel.PostgresSubscribableChannel;
import org.springframework.scheduling.concurrent.ThreadPoolTaskExecutor;
import org.springframework.transaction.PlatformTransactionManager;

/**
 * A process that takes partitions: it listens for requests (NOTIFY on a connection of its own), takes one at a
 * time per slot, and runs it.
 */
@Configuration(proxyBeanMethods = false)
@EnableIntegration
public class PartitionWorkerConfiguration {

	@Bean
	PostgresChannelMessageTableSubscriber partitionRequestSubscriber(StateDatabase stateDatabase) {
		PostgresChannelMessageTableSubscriber subscriber = new PostgresChannelMessageTableSubscriber(
				() -> DriverManager.getConnection(stateDatabase.url(), stateDatabase.properties())
					.unwrap(PgConnection.class));
		// a lost NOTIFY is caught up at the latest after this long
		subscriber.setNotificationTimeout(Duration.ofSeconds(10));
		return subscriber;
	}

	@Bean
	ThreadPoolTaskExecutor partitionExecutor(Partitioning partitioning) {
		ThreadPoolTaskExecutor executor = new ThreadPoolTaskExecutor();
		executor.setCorePoolSize(partitioning.slots());
		executor.setMaxPoolSize(partitioning.slots());
		executor.setThreadNamePrefix("promptbatch-partition-");
		return executor;
	}

	@Bean
	@DependsOn("partitionChannelSchema")
	PostgresSubscribableChannel partitionRequestChannel(PartitionRequests partitionRequests,
			PostgresChannelMessageTableSubscriber partitionRequestSubscriber,
			@Qualifier("partitionExecutor") ThreadPoolTaskExecutor partitionExecutor) {
		PostgresSubscribableChannel channel = new PostgresSubscribableChannel(partitionRequests.store(),
				PartitionRequests.GROUP, partitionRequestSubscriber);
		// at most 'slots' partitions at once in this process
		channel.setDispatcherExecutor(partitionExecutor);
		return channel;
	}

	@Bean
	PartitionWorker partitionWorker(JobRepository jobRepository, PlatformTransactionManager transactionManager,
			@Qualifier("answerReader") ItemStreamReader<AnswerRow> answerReader,
			@Qualifier("resultWriter") ItemStreamWriter<AnswerRow> resultWriter, Partitioning partitioning,
			PartitionRequests partitionRequests, PartitionHeartbeats partitionHeartbeats, StateDatabase stateDatabase) {
		return new PartitionWorker(jobRepository, transactionManager, answerReader, resultWriter, partitioning,
				partitionRequests, partitionHeartbeats, stateDatabase.lease());
	}

	@Bean(destroyMethod = "close")
	PartitionIntake partitionIntake(PostgresSubscribableChannel partitionRequestChannel, PartitionWorker partitionWorker,
			StopSignal stopSignal) {
		return new PartitionIntake(partitionRequestChannel, partitionWorker, stopSignal);
	}
}
