package io.promptbatch.batch.fanout;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;

/**
 * Rows taken but not yet handed out, in input order, at most {@code size} of them. Rows complete in any order; they
 * are handed out in the order they were taken, so one slow row holds back the output but, while there is room, not
 * the rows after it. One thread takes rows ({@link #room}, {@link #add}, {@link #settled}, {@link #end}), another
 * hands them out ({@link #awaitNext}, {@link #next}).
 */
final class ReorderBuffer {

	private record Slot(CompletableFuture<AnswerRow> row, @Nullable RuntimeException failure) {

		static final Slot END = new Slot(new CompletableFuture<>(), null);
	}

	private final BlockingQueue<Slot> window = new LinkedBlockingQueue<>();
	private final Semaphore room;
	private final int size;
	/** The slot to hand out next, once taken from the window; used by the handing-out thread only. */
	private @Nullable Slot head;

	/** @param size rows taken but not yet handed out, at most */
	ReorderBuffer(int size) {
		if (size < 1) {
			throw new IllegalArgumentException("reorder buffer must hold at least 1 row, was " + size);
		}
		this.size = size;
		this.room = new Semaphore(size);
	}

	int size() {
		return size;
	}

	/** Waits for room for one more row. */
	void room() throws InterruptedException {
		room.acquire();
	}

	/** Gives back the room {@link #room()} gave, for a row not taken after all. */
	void unused() {
		room.release();
	}

	/** Takes a row whose outcome is still to come: complete the future it returns with the row. */
	CompletableFuture<AnswerRow> add() {
		CompletableFuture<AnswerRow> row = new CompletableFuture<>();
		window.add(new Slot(row, null));
		return row;
	}

	/** Takes a row already settled. */
	void settled(AnswerRow row) {
		window.add(new Slot(CompletableFuture.completedFuture(row), null));
	}

	/** No more rows after those taken; with a failure, it is thrown in their place once those before it are out. */
	void end(@Nullable RuntimeException failure) {
		window.add(failure == null ? Slot.END : new Slot(new CompletableFuture<>(), failure));
	}

	/**
	 * Waits up to the given time for the next row in input order to complete, or for the end.
	 * @return whether {@link #next()} now hands something out without waiting
	 */
	boolean awaitNext(long timeout, TimeUnit unit) throws InterruptedException {
		long deadline = System.nanoTime() + unit.toNanos(timeout);
		Slot slot = head;
		if (slot == null) {
			slot = window.poll(timeout, unit);
			if (slot == null) {
				return false;
			}
			head = slot;
		}
		if (slot == Slot.END || slot.failure() != null || slot.row().isDone()) {
			return true;
		}
		try {
			slot.row().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
			return true;
		}
		catch (TimeoutException e) {
			return false;
		}
		catch (ExecutionException e) {
			return true;
		}
	}

	/**
	 * The next row in input order, once {@link #awaitNext} said it is there; null after the last.
	 * @throws RuntimeException the failure the rows ended with
	 */
	@Nullable AnswerRow next() {
		Slot slot = head;
		if (slot == null) {
			throw new IllegalStateException("the next row is not there yet: await it first");
		}
		if (slot == Slot.END) {
			return null;
		}
		if (slot.failure() != null) {
			throw slot.failure();
		}
		if (!slot.row().isDone()) {
			throw new IllegalStateException("the next row is not there yet");
		}
		head = null;
		room.release();
		try {
			return slot.row().getNow(null);
		}
		catch (java.util.concurrent.CompletionException e) {
			throw new IllegalStateException("row future failed", e.getCause());
		}
	}
}
