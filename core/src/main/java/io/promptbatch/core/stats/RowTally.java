package io.promptbatch.core.stats;

import java.math.BigDecimal;
import org.jspecify.annotations.Nullable;

/**
 * The sums over answer rows that a run's summary and its report both give, by one set of rules: a row
 * answered from the response cache counts as a row, as ok and as cached, and for nothing else (nothing was
 * sent, paid or waited for); every other row counts its retries and its latency; an ok row its tokens, and
 * its cost, or as unpriced when its model has no price (its cost is unknown, not zero).
 */
public final class RowTally {

	private long ok;
	private long failed;
	private long cached;
	private long promptTokens;
	private long completionTokens;
	private long retries;
	private long unpriced;
	private BigDecimal cost = BigDecimal.ZERO;
	private LatencyHistogram latency = new LatencyHistogram();

	/** Counts one row. */
	public void add(boolean rowOk, boolean rowCached, long rowPromptTokens, long rowCompletionTokens,
			@Nullable BigDecimal rowCost, int attempts, long latencyMillis) {
		if (rowCached) {
			ok++;
			cached++;
			return;
		}
		if (rowOk) {
			ok++;
			promptTokens += rowPromptTokens;
			completionTokens += rowCompletionTokens;
			if (rowCost != null) {
				cost = cost.add(rowCost);
			}
			else {
				unpriced++;
			}
		}
		else {
			failed++;
		}
		retries += Math.max(0, attempts - 1);
		latency.add(latencyMillis);
	}

	/** Sums saved earlier (a restart goes on from them). */
	public static RowTally of(long ok, long failed, long cached, long promptTokens, long completionTokens, long retries,
			long unpriced, BigDecimal cost, LatencyHistogram latency) {
		RowTally t = new RowTally();
		t.ok = ok;
		t.failed = failed;
		t.cached = cached;
		t.promptTokens = promptTokens;
		t.completionTokens = completionTokens;
		t.retries = retries;
		t.unpriced = unpriced;
		t.cost = cost;
		t.latency = latency;
		return t;
	}

	public long rows() {
		return ok + failed;
	}

	public long ok() {
		return ok;
	}

	public long failed() {
		return failed;
	}

	/** Rows answered from the response cache (counted in {@link #ok()}; their tokens and cost are not counted). */
	public long cached() {
		return cached;
	}

	public long promptTokens() {
		return promptTokens;
	}

	public long completionTokens() {
		return completionTokens;
	}

	public long retries() {
		return retries;
	}

	/** Answered rows whose model has no price. */
	public long unpriced() {
		return unpriced;
	}

	public BigDecimal cost() {
		return cost;
	}

	/** Latencies of the rows that were sent, answered or failed. */
	public LatencyHistogram latency() {
		return latency;
	}
}
