package io.promptbatch.batch.partition;

import static org.assertj.core.api.Assertions.assertThat;

import io.promptbatch.testsupport.PostgresServer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.job.JobInstance;
import org.springframework.batch.core.job.parameters.JobParameters;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.batch.integration.partition.StepExecutionRequest;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.DriverManagerDataSource;
import org.springframework.messaging.Message;

/** The queue of partition requests on a real PostgreSQL server: the order in which workers take them. */
class PartitionRequestsIntegrationTests {

	@Test
	void aPartitionSentAgainIsTakenBeforeThoseNoWorkerHasTakenYet() {
		// given: a state database with the queue, and three partitions of a run sent for the first time
		PostgresServer server = PostgresServer.shared();
		DriverManagerDataSource dataSource = new DriverManagerDataSource(server.url(server.newDatabase()), server.user(),
				server.password());
		new PartitionChannelSchema(dataSource, new DataSourceTransactionManager(dataSource)).afterPropertiesSet();
		PartitionRequests requests = new PartitionRequests(dataSource);
		JobExecution run = new JobExecution(7L, new JobInstance(3L, "promptbatch"), new JobParameters());
		for (long id = 11; id <= 13; id++) {
			requests.send(PartitionWorker.STEP_NAME, new StepExecution(id, PartitionWorker.STEP_NAME + ":p" + id, run), false);
		}

		// when: a worker took the first, and the partition is sent again (its worker stopped, or went silent)
		assertThat(take(requests, 1)).containsExactly(11L);
		requests.send(PartitionWorker.STEP_NAME, new StepExecution(14L, PartitionWorker.STEP_NAME + ":p11", run), true);

		// then: the partition sent again is taken first, then the others in the order they were sent
		assertThat(take(requests, 4)).containsExactly(14L, 12L, 13L);
	}

	/** The step execution ids of up to {@code n} requests, as workers take them from the queue. */
	private static List<Long> take(PartitionRequests requests, int n) {
		List<Long> taken = new ArrayList<>();
		for (int i = 0; i < n; i++) {
			Message<?> message = requests.store().pollMessageFromGroup(PartitionRequests.GROUP);
			if (message == null) {
				break;
			}
			taken.add(((StepExecutionRequest) message.getPayload()).getStepExecutionId());
		}
		return taken;
	}
}
