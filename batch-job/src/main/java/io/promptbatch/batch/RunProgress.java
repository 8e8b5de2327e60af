package io.promptbatch.batch;

import io.promptbatch.batch.output.RunTotals;
import java.math.BigDecimal;
import java.util.function.IntSupplier;

/**
 * What a running job has done so far, for a progress display on another thread: rows written and
 * their sums (as of the last chunk written), and requests in flight now.
 */
public final class RunProgress {

	private volatile Snapshot last = new Snapshot(0, 0, 0, 0, BigDecimal.ZERO, 0);

	private volatile IntSupplier inFlight = () -> 0;

	private volatile java.util.function.LongSupplier answered = () -> 0;

	/**
	 * @param rows rows answered in input order, including those of earlier attempts of the run (written
	 *     at the next commit)
	 * @param failed, promptTokens, completionTokens, costUsd sums over the rows written so far
	 */
	public record Snapshot(long rows, long failed, long promptTokens, long completionTokens, BigDecimal costUsd,
			int inFlight) {
	}

	private volatile boolean started;

	public void written(RunTotals totals) {
		started = true;
		last = new Snapshot(totals.rows(), totals.failed(), totals.promptTokens(), totals.completionTokens(),
				totals.costUsd(), 0);
	}

	public void inFlight(IntSupplier supplier) {
		this.inFlight = supplier;
	}

	public void answered(java.util.function.LongSupplier supplier) {
		this.answered = supplier;
	}

	private volatile io.promptbatch.core.limit.@org.jspecify.annotations.Nullable ConcurrencyLimit adaptive;

	/** The adaptive concurrency limit of the running step ({@code --concurrency auto}), or null. */
	public void adaptiveConcurrency(io.promptbatch.core.limit.@org.jspecify.annotations.Nullable ConcurrencyLimit limit) {
		this.adaptive = limit;
	}

	/** Where the adaptive concurrency limit of the last step stands, when the run had one. */
	public java.util.Optional<io.promptbatch.core.limit.ConcurrencyLimit.State> adaptiveConcurrency() {
		io.promptbatch.core.limit.ConcurrencyLimit limit = adaptive;
		return limit == null ? java.util.Optional.empty() : java.util.Optional.of(limit.state());
	}

	/**
	 * Whether the step has opened its output: from then on the rows count from where the run stands
	 * (earlier attempts' rows included), not from zero.
	 */
	public boolean started() {
		return started;
	}

	public Snapshot snapshot() {
		Snapshot s = last;
		return new Snapshot(Math.max(s.rows(), answered.getAsLong()), s.failed(), s.promptTokens(),
				s.completionTokens(), s.costUsd(), inFlight.getAsInt());
	}
}
