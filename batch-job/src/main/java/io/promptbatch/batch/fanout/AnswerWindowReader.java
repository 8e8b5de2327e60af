package io.promptbatch.batch.fanout;

import io.promptbatch.batch.StopSignal;
import io.promptbatch.batch.output.RunTotals;
import io.promptbatch.core.client.FatalChatException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.batch.infrastructure.item.ExecutionContext;
import org.springframework.batch.infrastructure.item.ItemStreamException;
import org.springframework.batch.infrastructure.item.ItemStreamReader;

/**
 * The run's parts as a Spring Batch reader: {@link #open} starts the {@link PromptSource} reading ahead into the
 * {@link RowResolver} and the {@link Dispatcher}; {@link #read()} hands back the dispatcher's rows in input order;
 * {@link #update} saves the restart state; {@link #close} lets the requests in flight land in the journal.
 *
 * <p>Restart: {@link #update} records how many rows were handed out, which the chunk commit makes equal to the rows
 * durably written; {@link #open} skips that many records.
 *
 * <p>A failure that dooms every row ({@link FatalChatException}) stops new requests at once; rows ahead of it are
 * handed out, then {@link #read()} throws {@link RunStoppedException}. A stop request, the budget, or an answer longer
 * than the cap its request sent ({@value #CAP_IGNORED}, with the sentence in {@value #STOP_DETAIL}) end the reader
 * early, resumably, once the rows already paid for are handed out (after a stop request, within its grace time).
 */
public final class AnswerWindowReader implements ItemStreamReader<AnswerRow> {

	/** Execution-context key: rows handed out, equal to rows written at each commit. */
	public static final String ROWS_DONE = "fanout.rows.done";

	/** Execution-context key: why the reader ended early ({@value #BUDGET}), when it did for a reason of its own. */
	public static final String STOP_REASON = "fanout.stop.reason";

	/** The column or field that holds the value an answer is scored against. */
	public static final String EXPECTED = RowFinisher.EXPECTED;

	/** The stop reason when the next request could have crossed the budget. */
	public static final String BUDGET = "budget";

	/** The stop reason when an answer was longer than the cap its request sent: the server ignores the field. */
	public static final String CAP_IGNORED = "cap.ignored";

	/** Execution-context key: the sentence that says why the reader ended early, for {@value #CAP_IGNORED}. */
	public static final String STOP_DETAIL = "fanout.stop.detail";

	private static final Logger log = LoggerFactory.getLogger(AnswerWindowReader.class);

	/** How often a wait for the next row looks at the stop request. */
	private static final long STOP_CHECK_MILLIS = 200;

	private final PromptSource source;
	private final RowFeed feed;
	private final Dispatcher dispatcher;
	private final RowFinisher finisher;
	private final Halt halt;
	private final Runnable onStopped;
	private volatile long done;
	private boolean exhausted;
	private volatile boolean closed;
	private long stopDeadline;

	/**
	 * @param source where prompts come from
	 * @param resolver what the journal or the cache already holds
	 * @param dispatcher what sends; owned by this reader from now on: closed with it
	 * @param finisher what prices and scores, and holds the budget
	 * @param halt why the run takes no more rows; its stop signal is a graceful stop request: no new requests,
	 *     answers in flight are handed out within the grace time, then the reader ends early
	 * @param onStopped called once when the reader ends early (marks the step to end as STOPPED, not COMPLETED)
	 */
	public AnswerWindowReader(PromptSource source, RowResolver resolver, Dispatcher dispatcher, RowFinisher finisher,
			Halt halt, Runnable onStopped) {
		this.source = source;
		this.feed = new RowFeed(resolver, dispatcher);
		this.dispatcher = dispatcher;
		this.finisher = finisher;
		this.halt = halt;
		this.onStopped = onStopped;
	}

	@Override
	public void open(ExecutionContext context) throws ItemStreamException {
		done = context.getLong(ROWS_DONE, 0L);
		context.remove(STOP_REASON);
		context.remove(STOP_DETAIL);
		feed.open();
		finisher.open(RunTotals.from(context).costUsd());
		source.open(done);
		if (done > 0) {
			log.info("Resuming after {} rows already written", done);
		}
		source.start(feed);
	}

	@Override
	public @Nullable AnswerRow read() throws Exception {
		if (exhausted) {
			return null;
		}
		if (!awaitNext()) {
			// a stop was requested and the grace time is over: end early, resumably
			return endEarly();
		}
		AnswerRow row;
		try {
			row = dispatcher.next();
		}
		catch (RuntimeException e) {
			exhausted = true;
			throw e;
		}
		if (row == null) {
			exhausted = true;
			FatalChatException f = halt.fatal();
			if (f != null) {
				throw new RunStoppedException(f);
			}
			if (halt.stop().requested() || halt.budgetReached() || halt.capIgnored() != null) {
				return endEarly();
			}
			if (closed) {
				throw new IllegalStateException("the reader was closed while rows were still being read");
			}
			return null;
		}
		FatalChatException f = row.fatal();
		if (f != null) {
			exhausted = true;
			FatalChatException first = halt.fatal();
			throw new RunStoppedException(first != null ? first : f);
		}
		done++;
		return row;
	}

	/** Whether the next row is there; false when a stop is requested and it does not come within the grace time. */
	private boolean awaitNext() throws InterruptedException {
		StopSignal stop = halt.stop();
		while (!stop.requested()) {
			if (dispatcher.awaitNext(STOP_CHECK_MILLIS, TimeUnit.MILLISECONDS)) {
				return true;
			}
		}
		if (stopDeadline == 0) {
			stopDeadline = System.nanoTime() + stop.grace().toNanos();
			log.info("Stop requested: no new requests; waiting up to {} ms for {} answers in flight",
					stop.grace().toMillis(), dispatcher.inFlight());
		}
		return dispatcher.awaitNext(Math.max(0, stopDeadline - System.nanoTime()), TimeUnit.NANOSECONDS);
	}

	private @Nullable AnswerRow endEarly() {
		exhausted = true;
		log.info("Stopped after {} rows; the run can be resumed", done);
		onStopped.run();
		return null;
	}

	@Override
	public void update(ExecutionContext context) throws ItemStreamException {
		context.putLong(ROWS_DONE, done);
		String ignored = halt.capIgnored();
		if (ignored != null) {
			context.putString(STOP_REASON, CAP_IGNORED);
			context.putString(STOP_DETAIL, ignored);
		}
		else if (halt.budgetReached()) {
			context.putString(STOP_REASON, BUDGET);
		}
	}

	@Override
	public void close() throws ItemStreamException {
		closed = true;
		try {
			if (source.started()) {
				source.stop();
				// let requests already sent land in the journal, so that a resume does not pay for them again
				if (!dispatcher.awaitIdle(Duration.ofSeconds(halt.stop().requested() ? 5 : 30))) {
					log.warn("{} requests were still in flight at close; their answers will be requested again on resume",
							dispatcher.inFlight());
				}
			}
		}
		catch (InterruptedException e) {
			Thread.currentThread().interrupt();
		}
		source.close();
		dispatcher.close();
	}

	/** Requests in flight now (or waiting to retry). */
	public int inFlight() {
		return dispatcher.inFlight();
	}

	/** Rows handed out so far, including those of earlier attempts of this run. */
	public long rowsDone() {
		return done;
	}
}
