package io.promptbatch.batch.partition;

import io.promptbatch.batch.StopSignal;
import org.springframework.batch.core.job.JobInterruptedException;
import org.springframework.batch.integration.partition.StepExecutionRequest;
import org.springframework.integration.jdbc.channel.PostgresSubscribableChannel;
import org.springframework.messaging.MessageHandler;

/**
 * This process taking partition requests: subscribed from its creation; {@link #close} stops taking new ones and waits
 * for those in hand to end (the channel's unsubscribe waits for its dispatches in flight).
 *
 * <p>Once this process is asked to stop, it takes no new request: the partition in hand ends (stopped, handed back)
 * and the intake closes itself; a request taken in the moment of the stop goes back to the front of the queue
 * untouched.
 */
public final class PartitionIntake implements AutoCloseable {

	private final PostgresSubscribableChannel channel;
	private final PartitionWorker worker;
	private final StopSignal stop;
	private final MessageHandler handler = message -> handle((StepExecutionRequest) message.getPayload());
	private volatile boolean open;

	PartitionIntake(PostgresSubscribableChannel channel, PartitionWorker worker, StopSignal stop) {
		this.channel = channel;
		this.worker = worker;
		this.stop = stop;
		channel.subscribe(handler);
		this.open = true;
	}

	private void handle(StepExecutionRequest request) {
		try {
			if (stop.requested()) {
				worker.putBack(request);
			}
			else {
				worker.handle(request);
			}
		}
		catch (JobInterruptedException e) {
			Thread.currentThread().interrupt();
		}
		finally {
			if (stop.requested()) {
				closeSoon();
			}
		}
	}

	/**
	 * Closes the intake from another thread: the channel's unsubscribe waits for this dispatch to end, and the channel
	 * polls no further request once it is waited for.
	 */
	private void closeSoon() {
		Thread closing = new Thread(this::close, "promptbatch-partition-intake-close");
		closing.setDaemon(true);
		closing.start();
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
