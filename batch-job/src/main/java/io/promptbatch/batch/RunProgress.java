package io.promptbatch.batch;

import io.promptbatch.batch.output.RunTotals;
import io.promptbatch.core.limit.OutageBreaker;
import java.math.BigDecimal;
import java.util.Optional;
import java.util.function.IntSupplier;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

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

	private volatile @Nullable Resumption resumption;

	private volatile Supplier<Optional<OutageBreaker.Outage>> outage = Optional::empty;

	/**
	 * A run that continues where an earlier attempt left it.
	 *
	 * @param runId the run
	 * @param rowsWritten rows the earlier attempts wrote; the run continues after them
	 * @param journaled answers the earlier attempts received and paid for beyond those rows, which are
	 *     taken from the journal instead of being sent again
	 */
	public record Resumption(long runId, long rowsWritten, long journaled) {
	}

	/** Says that the step continues an earlier attempt of its run. */
	public void resumption(Resumption resumption) {
		this.resumption = resumption;
	}

	/** How the step continues an earlier attempt, when it does. */
	public Optional<Resumption> resumption() {
		return Optional.ofNullable(resumption);
	}

	/** Where the running step's client says whether requests are paused for a provider outage. */
	public void outage(Supplier<Optional<OutageBreaker.Outage>> supplier) {
		this.outage = supplier;
	}

	/** The provider outage in progress, if requests are paused now. */
	public Optional<OutageBreaker.Outage> outage() {
		return outage.get();
	}

	private volatile @Nullable Snapshot partitions;

	/**
	 * For a run in partitions: the rows committed across all of them, wherever they run (as the job repository holds
	 * them). From then on these are the run's rows, not those of the partition this process runs.
	 */
	public void partitions(RunTotals committed) {
		partitions = new Snapshot(committed.rows(), committed.failed(), committed.promptTokens(),
				committed.completionTokens(), committed.costUsd(), 0);
		started = true;
	}

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
		Snapshot across = partitions;
		if (across != null) {
			// requests in flight are known of this process only
			return new Snapshot(across.rows(), across.failed(), across.promptTokens(), across.completionTokens(),
					across.costUsd(), inFlight.getAsInt());
		}
		Snapshot s = last;
		return new Snapshot(Math.max(s.rows(), answered.getAsLong()), s.failed(), s.promptTokens(),
				s.completionTokens(), s.costUsd(), inFlight.getAsInt());
	}
}
