package io.promptbatch.batch.partition;

import javax.sql.DataSource;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.batch.integration.partition.StepExecutionRequest;
import org.springframework.integration.jdbc.store.JdbcChannelMessageStore;
import org.springframework.integration.jdbc.store.channel.PostgresChannelMessageStoreQueryProvider;
import org.springframework.integration.support.MessageBuilder;

/**
 * The queue of partition requests: rows of Spring Integration's {@code INT_CHANNEL_MESSAGE} table in the state
 * database (region {@value #REGION}, group {@value #GROUP}), each a Spring Batch {@link StepExecutionRequest}. A
 * trigger NOTIFYs the workers, and a worker takes a row with {@code DELETE ... FOR UPDATE SKIP LOCKED}: two workers
 * never take the same request.
 */
public final class PartitionRequests {

	static final String REGION = "promptbatch";

	static final String GROUP = "partitions";

	/** The priority of a partition's first request, and of a request for a partition sent again (taken first). */
	static final int FIRST = 0;

	static final int AGAIN = 1;

	private final JdbcChannelMessageStore store;

	public PartitionRequests(DataSource dataSource) {
		this.store = store(dataSource);
	}

	/** The message store of the requests, for senders and the workers' channel. */
	static JdbcChannelMessageStore store(DataSource dataSource) {
		JdbcChannelMessageStore store = new JdbcChannelMessageStore(dataSource);
		store.setChannelMessageStoreQueryProvider(new PostgresChannelMessageStoreQueryProvider());
		store.setRegion(REGION);
		// a partition sent again (handed back, taken over) is taken before those not taken yet
		store.setPriorityEnabled(true);
		// requests are Java-serialized messages: only these classes are read back
		store.addAllowedPatterns(StepExecutionRequest.class.getName(), "org.springframework.messaging.*", "java.util.*",
				"java.lang.*");
		store.afterPropertiesSet();
		return store;
	}

	JdbcChannelMessageStore store() {
		return store;
	}

	/**
	 * Asks a worker to run a partition's step execution.
	 * @param again whether the partition was sent before (handed back, taken over): it then goes before the requests
	 *     no worker has taken yet
	 */
	void send(String workerStep, StepExecution partition, boolean again) {
		store.addMessageToGroup(GROUP, MessageBuilder.withPayload(new StepExecutionRequest(workerStep, partition.getId()))
			.setCorrelationId(partition.getJobExecutionId() + ":" + workerStep)
			.setPriority(again ? AGAIN : FIRST)
			.build());
	}
}
