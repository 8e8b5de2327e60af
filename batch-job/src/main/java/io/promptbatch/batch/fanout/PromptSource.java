package io.promptbatch.batch.fanout;

import io.promptbatch.core.prompt.Prompt;
import io.promptbatch.core.prompt.PromptReader;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Where prompts come from: the input's record range {@code [from, to)}, read ahead of the chunk on a thread of its
 * own. The read-ahead is bounded by the {@link Sink}: a record is read only once the sink has room for it, so memory
 * stays flat however large the input. Each prompt is handed to the sink on the same thread, with no queue between.
 */
public final class PromptSource implements AutoCloseable {

	/** The name of the read-ahead thread. */
	static final String THREAD = "promptbatch-dispatcher";

	/** Takes the prompts the source reads, in input order, on the source's thread. */
	public interface Sink {

		/** Waits for room for one more row; false when no more rows are to be taken. */
		boolean room() throws InterruptedException;

		/** Takes one prompt into the room {@link #room()} gave; false when no more rows are to be taken. */
		boolean take(Prompt prompt) throws InterruptedException;

		/** No more prompts: the range or the input ended, the sink said so, or {@code failure} (a bad record). */
		void end(@Nullable RuntimeException failure);
	}

	private final Supplier<PromptReader> opener;
	private final long from;
	private final long to;
	private @Nullable PromptReader reader;
	private @Nullable Thread thread;
	private long rows;
	private volatile boolean stopped;

	/**
	 * @param opener opens the input (called once, by {@link #open})
	 * @param from first record of the range (0-based)
	 * @param to end of the range, exclusive
	 */
	public PromptSource(Supplier<PromptReader> opener, long from, long to) {
		this.opener = opener;
		this.from = from;
		this.to = to;
	}

	/**
	 * Opens the input at the first record not done yet.
	 * @param done rows of the range already written (by earlier attempts of the run)
	 * @return the rows left in the range
	 */
	public long open(long done) {
		PromptReader opened = opener.get();
		this.reader = opened;
		long skip = from + done;
		long skipped = opened.skip(skip);
		rows = skipped < skip ? 0 : Math.max(0, Math.min(to, Long.MAX_VALUE - 1) - from - done);
		return rows;
	}

	/** Starts reading ahead into {@code sink}. */
	public void start(Sink sink) {
		PromptReader opened = reader;
		if (opened == null) {
			throw new IllegalStateException("the prompt source is not open");
		}
		Thread t = new Thread(() -> run(opened, sink), THREAD);
		t.setDaemon(true);
		this.thread = t;
		t.start();
	}

	private void run(PromptReader source, Sink sink) {
		long remaining = rows;
		try {
			while (remaining > 0 && !stopped && sink.room()) {
				Prompt prompt;
				try {
					prompt = source.read();
					if (prompt == null) {
						break;
					}
					remaining--;
					if (!sink.take(prompt)) {
						break;
					}
				}
				catch (RuntimeException e) {
					// a bad record, or the journal could not be read: the step fails, resumably, rather than the
					// reader waiting for a row that never comes
					sink.end(e);
					return;
				}
				catch (Error e) {
					// out of memory or stack on a record: said to the reader, never a thread that dies in silence
					sink.end(new IllegalStateException("reading the input failed: " + e, e));
					throw e;
				}
			}
			sink.end(null);
		}
		catch (InterruptedException e) {
			Thread.currentThread().interrupt();
			sink.end(null);
		}
	}

	/** Whether the read-ahead was started (and may have rows in flight). */
	public boolean started() {
		return thread != null;
	}

	/** Stops reading ahead: waits up to 5 s for the thread to end. */
	public void stop() throws InterruptedException {
		stopped = true;
		Thread t = thread;
		if (t != null) {
			t.interrupt();
			t.join(5000);
		}
	}

	/** Stops reading ahead and closes the input. */
	@Override
	public void close() {
		try {
			stop();
		}
		catch (InterruptedException e) {
			Thread.currentThread().interrupt();
		}
		PromptReader r = reader;
		if (r != null) {
			r.close();
		}
	}
}
