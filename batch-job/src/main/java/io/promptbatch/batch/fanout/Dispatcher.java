package io.promptbatch.batch.fanout;

import io.promptbatch.core.client.ChatResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * What sends: it takes the rows the {@link PromptSource} reads and the {@link RowResolver} resolves, one at a time
 * and in input order, sends those that need a request, and hands every row back in input order. The live
 * implementation is the window in flight ({@link WindowDispatcher}); one that sends through a provider's Batch API
 * takes the same rows and hands them back the same way.
 *
 * <p>Rows are taken on the read-ahead thread ({@link #room}, {@link #settled}, {@link #send}, {@link #end}) and handed
 * back on the reader's ({@link #awaitNext}, {@link #next}).
 */
public interface Dispatcher extends AutoCloseable {

	/**
	 * Records an answer durably the moment it arrives, keyed by its request's fingerprint; the future completes once
	 * it is durable. The run's {@code ResponseJournal}, bound to the run.
	 */
	@FunctionalInterface
	interface Recorder {

		CompletableFuture<Void> record(String fingerprint, ChatResponse response, int attempts, long latencyMillis);
	}

	/** Waits for room for one more row; false when the run takes no more rows. */
	boolean room() throws InterruptedException;

	/** Takes, into the room {@link #room()} gave, a row that needs no request: it keeps its place in the order. */
	void settled(AnswerRow row);

	/**
	 * Takes, into the room {@link #room()} gave, a row whose request is to be sent.
	 * @param row a resolved row with a request ({@link RowResolver.Resolved#settled()} null)
	 * @return false when it was not sent and the run takes no more rows
	 */
	boolean send(RowResolver.Resolved row) throws InterruptedException;

	/** No more rows after those taken; with a failure, it is thrown in their place once those before are out. */
	void end(@Nullable RuntimeException failure);

	/**
	 * Waits up to the given time for the next row in input order (or the end).
	 * @return whether {@link #next()} hands it out without waiting
	 */
	boolean awaitNext(long timeout, TimeUnit unit) throws InterruptedException;

	/**
	 * The next row in input order, once {@link #awaitNext} said it is there; null after the last.
	 * @throws RuntimeException the failure the rows ended with
	 */
	@Nullable AnswerRow next();

	/** Requests sent and not yet answered (or waiting to retry). */
	int inFlight();

	/** Waits up to {@code wait} for the requests in flight to be answered and recorded; false when they were not. */
	boolean awaitIdle(Duration wait) throws InterruptedException;

	/** Closes what sends (the client). */
	@Override
	void close();
}
