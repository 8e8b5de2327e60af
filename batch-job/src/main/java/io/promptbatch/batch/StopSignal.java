package io.promptbatch.batch;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A request to stop the running job gracefully (SIGTERM, Ctrl-C): stop sending, wait a bounded time
 * for the answers in flight, commit them, and end the run as STOPPED, so that it can be resumed.
 */
public final class StopSignal {

	private final AtomicBoolean requested = new AtomicBoolean();

	private final Duration grace;

	/** @param grace how long to wait for answers already in flight once a stop is requested */
	public StopSignal(Duration grace) {
		this.grace = grace;
	}

	public void request() {
		requested.set(true);
	}

	public boolean requested() {
		return requested.get();
	}

	public Duration grace() {
		return grace;
	}
}
