package io.promptbatch.batch.output;

import io.promptbatch.batch.fanout.AnswerRow;
import java.math.BigDecimal;
import org.springframework.batch.infrastructure.item.ExecutionContext;

/**
 * Sums over the rows written so far, saved with each commit so that they survive restarts: the
 * summary always equals the sum of the output's rows.
 */
public final class RunTotals {

	private static final String PREFIX = "totals.";

	private long ok;
	private long failed;
	private long promptTokens;
	private long completionTokens;
	private long retries;
	private long unpricedRows;
	private BigDecimal costUsd = BigDecimal.ZERO;
	private LatencyHistogram latency = new LatencyHistogram();

	public static RunTotals from(ExecutionContext ctx) {
		RunTotals t = new RunTotals();
		t.ok = ctx.getLong(PREFIX + "ok", 0L);
		t.failed = ctx.getLong(PREFIX + "failed", 0L);
		t.promptTokens = ctx.getLong(PREFIX + "prompt_tokens", 0L);
		t.completionTokens = ctx.getLong(PREFIX + "completion_tokens", 0L);
		t.retries = ctx.getLong(PREFIX + "retries", 0L);
		t.unpricedRows = ctx.getLong(PREFIX + "unpriced", 0L);
		t.costUsd = new BigDecimal(ctx.getString(PREFIX + "cost_usd", "0"));
		t.latency = LatencyHistogram.decode(ctx.getString(PREFIX + "latency", ""));
		return t;
	}

	/** Forgets the totals saved in a context (the output is being written again from the start). */
	public static void clear(ExecutionContext ctx) {
		for (String key : new String[] { "ok", "failed", "prompt_tokens", "completion_tokens", "retries", "unpriced",
				"cost_usd", "latency" }) {
			ctx.remove(PREFIX + key);
		}
	}

	public void saveTo(ExecutionContext ctx) {
		ctx.putLong(PREFIX + "ok", ok);
		ctx.putLong(PREFIX + "failed", failed);
		ctx.putLong(PREFIX + "prompt_tokens", promptTokens);
		ctx.putLong(PREFIX + "completion_tokens", completionTokens);
		ctx.putLong(PREFIX + "retries", retries);
		ctx.putLong(PREFIX + "unpriced", unpricedRows);
		ctx.putString(PREFIX + "cost_usd", costUsd.toPlainString());
		ctx.putString(PREFIX + "latency", latency.encode());
	}

	void add(AnswerRow row) {
		if (row.ok()) {
			ok++;
			promptTokens += row.usage().promptTokens();
			completionTokens += row.usage().completionTokens();
			if (row.cost() != null) {
				costUsd = costUsd.add(row.cost());
			}
			else {
				unpricedRows++;
			}
		}
		else {
			failed++;
		}
		retries += Math.max(0, row.attempts() - 1);
		latency.add(row.latencyMillis());
	}

	public long ok() {
		return ok;
	}

	public long failed() {
		return failed;
	}

	public long rows() {
		return ok + failed;
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

	/** Answered rows whose model has no price (their cost is unknown, not zero). */
	public long unpricedRows() {
		return unpricedRows;
	}

	public BigDecimal costUsd() {
		return costUsd;
	}

	/** Latencies of all rows written, answered or failed. */
	public LatencyHistogram latency() {
		return latency;
	}
}
