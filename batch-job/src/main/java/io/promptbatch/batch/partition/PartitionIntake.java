package io.promptbatch.batch.partition;

import org.springframework.integration.jdbc.channel.PostgresSubscribableChannel;
import org.springframework.messaging.MessageHandler;

/**
 * This process taking partition requests: subscribed from its creation; {@link #close} stops taking new ones and waits
 * for those in hand to end (the channel's unsubscribe waits for its dispatches in flight).
 */
public final class PartitionIntake implements AutoCloseable {

	private final PostgresSubscribableChannel channel;
	private final MessageHandler handler;
	private volatile boolean open;

	PartitionIntake(PostgresSubscribableChannel channel, MessageHandler handler) {
		this.channel = channel;
		this.handler = handler;
		channel.subscribe(handler);
		this.open = true;
	}

	/** Takes no new partition, and waits for those in hand to end. */
	@Override
	public synchronized void close() {
		if (open) {
			open = false;
			channel.unsubscribe(handler);
		}
	}
}
