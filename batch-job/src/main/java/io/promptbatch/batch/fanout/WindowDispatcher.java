package io.promptbatch.batch.fanout;

import io.promptbatch.core.client.ChatClient;
import io.promptbatch.core.client.ChatOutcome;
import io.promptbatch.core.chat.ChatRequest;
import io.promptbatch.core.limit.ConcurrencyLimit;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The window in flight: one request per row, {@code concurrency} of them in flight at all times across chunk
 * boundaries, held by one gate, the limit the client's attempts report to as well: a row takes its slot here
 * before it is sent, keeps it through its retries and the waits before them ({@link ChatClient#sendInSlot}), and
 * gives it back here once its outcome is handled. Rows are handed back in input order through a {@link ReorderBuffer} larger than the
 * concurrency, so one slow answer holds back the output but not new requests, and memory stays flat however large
 * the input. Each answer is recorded the moment it arrives, and its slot in the gate is freed only once it is
 * durable, so that a kill loses no more than the requests in flight. Before a request is sent its worst case is
 * reserved under the budget, and once its outcome is in the {@link RowFinisher} prices, scores and checks it.
 */
public final class WindowDispatcher implements Dispatcher {

	/** Sends one row's request, with all its attempts. The live one is the {@link ChatClient}. */
	public interface Sender extends AutoCloseable {

		/**
		 * @param body the request's canonical body
		 * @param fingerprint the journal's key of the request (base URL and body), as the row was resolved with
		 */
		CompletableFuture<ChatOutcome> send(ChatRequest request, byte[] body, String fingerprint);

		@Override
		void close();

		/**
		 * The sender, closing {@code also} after it (once the requests in flight have landed): a partition's hold on
		 * its run's shared limits, say; the sender itself when {@code also} is null.
		 */
		static Sender closing(Sender sender, @Nullable AutoCloseable also) {
			if (also == null) {
				return sender;
			}
			return new Sender() {

				@Override
				public CompletableFuture<ChatOutcome> send(ChatRequest request, byte[] body, String fingerprint) {
					return sender.send(request, body, fingerprint);
				}

				@Override
				public void close() {
					try {
						sender.close();
					}
					finally {
						try {
							also.close();
						}
						catch (Exception e) {
							throw new IllegalStateException("could not close " + also, e);
						}
					}
				}
			};
		}

		/**
		 * The client as a sender of rows whose slot of its attempt limit (the dispatcher's gate) is taken already;
		 * closing the sender closes the client.
		 */
		static Sender of(ChatClient client) {
			return new Sender() {

				@Override
				public CompletableFuture<ChatOutcome> send(ChatRequest request, byte[] body, String fingerprint) {
					return client.sendInSlot(request, body);
				}

				@Override
				public void close() {
					client.close();
				}
			};
		}
	}

	private final Sender sender;
	private final ConcurrencyLimit gate;
	private final ReorderBuffer buffer;
	private final Recorder recorder;
	private final RowFinisher finisher;
	private final Halt halt;

	/**
	 * @param sender sends the requests; owned by the dispatcher from now on: closed with it
	 * @param gate how many requests may be in flight now: fixed at the concurrency, or adaptive below it (the
	 *     same limit the sender's attempts are held to)
	 * @param bufferSize rows taken but not yet handed out, at most; at least the most the gate may reach
	 * @param recorder records each answer durably as it arrives
	 * @param finisher reserves each request's worst case, then prices and scores its outcome
	 * @param halt why the run takes no more rows
	 */
	public WindowDispatcher(Sender sender, ConcurrencyLimit gate, int bufferSize, Recorder recorder,
			RowFinisher finisher, Halt halt) {
		if (bufferSize < gate.max()) {
			throw new IllegalArgumentException("reorder buffer (" + bufferSize + ") must be at least the concurrency ("
					+ gate.max() + ")");
		}
		this.sender = sender;
		this.gate = gate;
		this.buffer = new ReorderBuffer(bufferSize);
		this.recorder = recorder;
		this.finisher = finisher;
		this.halt = halt;
	}

	@Override
	public boolean room() throws InterruptedException {
		buffer.room();
		if (!halt.takesMore()) {
			buffer.unused();
			return false;
		}
		return true;
	}

	@Override
	public void settled(AnswerRow row) {
		buffer.settled(row);
	}

	@Override
	public boolean send(RowResolver.Resolved row) throws InterruptedException {
		ChatRequest request = row.request();
		byte[] body = row.body();
		String fingerprint = row.fingerprint();
		if (request == null || body == null || fingerprint == null || row.settled() != null) {
			throw new IllegalArgumentException("row " + row.prompt().id() + " has no request to send");
		}
		gate.acquire();
		if (!halt.takesMore()) {
			gate.release();
			buffer.unused();
			return false;
		}
		BigDecimal reserved;
		try {
			reserved = finisher.reserve(row.prompt(), request);
		}
		catch (RuntimeException e) {
			gate.release();
			buffer.settled(finisher.unpriced(row.prompt(), request, e));
			return true;
		}
		if (reserved == null) {
			gate.release();
			buffer.unused();
			return false;
		}
		CompletableFuture<AnswerRow> slot = buffer.add();
		CompletableFuture<ChatOutcome> sending;
		try {
			sending = sender.send(request, body, fingerprint);
		}
		catch (RuntimeException e) {
			// a request that could not even start is the row's failure, never a slot left open
			sending = CompletableFuture.failedFuture(e);
		}
		sending.whenComplete((outcome, failure) -> {
			AnswerRow done = finisher.finish(row.prompt(), request, outcome, failure, reserved);
			if (!(outcome instanceof ChatOutcome.Answered a)) {
				slot.complete(done);
				gate.release();
				return;
			}
			// the slot is freed only once the answer is durable, so that a kill loses no more than the requests in
			// flight
			recorder.record(fingerprint, a.response(), a.attempts(), a.latencyMillis()).whenComplete((ok, e) -> {
				slot.complete(done);
				gate.release();
			});
		});
		return true;
	}

	@Override
	public void end(@Nullable RuntimeException failure) {
		buffer.end(failure);
	}

	@Override
	public boolean awaitNext(long timeout, TimeUnit unit) throws InterruptedException {
		return buffer.awaitNext(timeout, unit);
	}

	@Override
	public @Nullable AnswerRow next() {
		return buffer.next();
	}

	@Override
	public int inFlight() {
		return gate.inFlight();
	}

	@Override
	public boolean awaitIdle(Duration wait) throws InterruptedException {
		return gate.awaitIdle(wait.toNanos(), TimeUnit.NANOSECONDS);
	}

	@Override
	public void close() {
		sender.close();
	}
}
