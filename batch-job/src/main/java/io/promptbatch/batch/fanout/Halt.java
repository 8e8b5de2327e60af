package io.promptbatch.batch.fanout;

import io.promptbatch.batch.StopSignal;
import io.promptbatch.core.client.FatalChatException;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Why the run takes no more rows: a failure that dooms every row, an answer longer than the cap its request sent
 * (the server ignores the cap's field), the budget, or a graceful stop request. The parts that see a reason record
 * it here; the parts that take rows ask {@link #takesMore()}. Thread-safe.
 */
public final class Halt {

	private static final Logger log = LoggerFactory.getLogger(Halt.class);

	private final StopSignal stop;
	private final AtomicReference<@Nullable FatalChatException> fatal = new AtomicReference<>();
	private final AtomicReference<@Nullable String> capIgnored = new AtomicReference<>();
	private volatile boolean budgetReached;

	public Halt(StopSignal stop) {
		this.stop = stop;
	}

	/** Whether another row may be taken: no stop was requested and nothing halted the run. */
	public boolean takesMore() {
		return fatal.get() == null && capIgnored.get() == null && !stop.requested();
	}

	/** Records the first failure that dooms every row. */
	void fatal(FatalChatException e) {
		if (fatal.compareAndSet(null, e)) {
			log.error("Stopping the run: {}", e.describe());
		}
	}

	/** Records the first answer longer than its cap, as the sentence the user reads. */
	void capIgnored(String message) {
		if (capIgnored.compareAndSet(null, message)) {
			log.error("Stopping the run: {}", message);
		}
	}

	/** Records that the next request could have crossed the budget. */
	void reachBudget() {
		budgetReached = true;
	}

	public @Nullable FatalChatException fatal() {
		return fatal.get();
	}

	/** Why the cap does not hold, or null. */
	public @Nullable String capIgnored() {
		return capIgnored.get();
	}

	public boolean budgetReached() {
		return budgetReached;
	}

	public StopSignal stop() {
		return stop;
	}
}
