package io.promptbatch.batch.output;

import io.promptbatch.batch.fanout.AnswerRow;
import io.promptbatch.core.stats.LatencyHistogram;
import io.promptbatch.core.stats.RowTally;
import java.math.BigDecimal;
import java.util.Map;
import java.util.TreeMap;
import org.springframework.batch.infrastructure.item.ExecutionContext;

/**
 * Sums over the rows written so far, saved with each commit so that they survive restarts: the
 * summary always equals the sum of the output's rows. Tokens, cost, retries and latency count what was
 * sent: rows answered from the response cache count only as rows.
 */
public final class RunTotals {

	private static final String PREFIX = "totals.";

	private static final String RECORDS = "\u001e";

	private static final String FIELDS = "\u001f";

	private RowTally tally = new RowTally();
	private final Map<String, long[]> scores = new TreeMap<>();

	public static RunTotals from(ExecutionContext ctx) {
		RunTotals t = new RunTotals();
		t.tally = RowTally.of(ctx.getLong(PREFIX + "ok", 0L), ctx.getLong(PREFIX + "failed", 0L),
				ctx.getLong(PREFIX + "cached", 0L), ctx.getLong(PREFIX + "prompt_tokens", 0L),
				ctx.getLong(PREFIX + "completion_tokens", 0L), ctx.getLong(PREFIX + "retries", 0L),
				ctx.getLong(PREFIX + "unpriced", 0L), new BigDecimal(ctx.getString(PREFIX + "cost_usd", "0")),
				LatencyHistogram.decode(ctx.getString(PREFIX + "latency", "")));
		String scores = ctx.getString(PREFIX + "scores", "");
		if (!scores.isEmpty()) {
			for (String entry : scores.split(RECORDS)) {
				String[] f = entry.split(FIELDS, -1);
				// entries saved before pass@n was kept have no fourth and fifth field: one choice per row
				long passed = Long.parseLong(f[2]);
				t.scores.put(f[0], new long[] { Long.parseLong(f[1]), passed, f.length > 3 ? Long.parseLong(f[3]) : passed,
						f.length > 4 ? Long.parseLong(f[4]) : 1 });
			}
		}
		return t;
	}

	/** Forgets the totals saved in a context (the output is being written again from the start). */
	public static void clear(ExecutionContext ctx) {
		for (String key : new String[] { "ok", "failed", "prompt_tokens", "completion_tokens", "retries", "unpriced",
				"cost_usd", "latency", "cached", "scores" }) {
			ctx.remove(PREFIX + key);
		}
	}

	public void saveTo(ExecutionContext ctx) {
		ctx.putLong(PREFIX + "ok", tally.ok());
		ctx.putLong(PREFIX + "failed", tally.failed());
		ctx.putLong(PREFIX + "prompt_tokens", tally.promptTokens());
		ctx.putLong(PREFIX + "completion_tokens", tally.completionTokens());
		ctx.putLong(PREFIX + "retries", tally.retries());
		ctx.putLong(PREFIX + "unpriced", tally.unpriced());
		ctx.putString(PREFIX + "cost_usd", tally.cost().toPlainString());
		ctx.putString(PREFIX + "latency", tally.latency().encode());
		ctx.putLong(PREFIX + "cached", tally.cached());
		StringBuilder sb = new StringBuilder();
		scores.forEach((model, counts) -> sb.append(sb.isEmpty() ? "" : RECORDS).append(model).append(FIELDS)
			.append(counts[0]).append(FIELDS).append(counts[1]).append(FIELDS).append(counts[2]).append(FIELDS)
			.append(counts[3]));
		ctx.putString(PREFIX + "scores", sb.toString());
	}

	/** The sums of these totals and another's: a partitioned run's totals over its partitions. */
	public RunTotals plus(RunTotals other) {
		RunTotals t = new RunTotals();
		RowTally a = tally;
		RowTally b = other.tally;
		String latencies = a.latency().encode() + (a.latency().count() > 0 && b.latency().count() > 0 ? "," : "")
				+ b.latency().encode();
		t.tally = RowTally.of(a.ok() + b.ok(), a.failed() + b.failed(), a.cached() + b.cached(),
				a.promptTokens() + b.promptTokens(), a.completionTokens() + b.completionTokens(), a.retries() + b.retries(),
				a.unpriced() + b.unpriced(), a.cost().add(b.cost()), LatencyHistogram.decode(latencies));
		for (RunTotals each : new RunTotals[] { this, other }) {
			each.scores.forEach((model, counts) -> t.scores.merge(model, counts.clone(), (x, y) -> new long[] {
					x[0] + y[0], x[1] + y[1], x[2] + y[2], Math.max(x[3], y[3]) }));
		}
		return t;
	}

	void add(AnswerRow row) {
		if (row.score() != null) {
			long[] counts = scores.computeIfAbsent(row.model(), m -> new long[] { 0, 0, 0, 1 });
			counts[0]++;
			counts[1] += row.score();
			counts[2] += row.scoreAny() == null ? 0 : row.scoreAny();
			counts[3] = Math.max(counts[3], row.scores().each().size());
		}
		tally.add(row.ok(), row.cached(), row.usage().promptTokens(), row.usage().completionTokens(), row.cost(),
				row.attempts(), row.latencyMillis());
	}

	public long ok() {
		return tally.ok();
	}

	public long failed() {
		return tally.failed();
	}

	/** Rows answered from the response cache (counted in {@link #ok()}; their tokens and cost are not counted). */
	public long cached() {
		return tally.cached();
	}

	/** Scored rows and passes, by the model the rows named; empty when the run is not scored. */
	public Map<String, Score> scores() {
		Map<String, Score> view = new TreeMap<>();
		scores.forEach((model, counts) -> view.put(model, new Score(counts[0], counts[1], counts[2], (int) counts[3])));
		return view;
	}

	/**
	 * The scored rows of one model and how many passed.
	 *
	 * @param scored rows scored
	 * @param passed rows whose first choice passed (pass@1)
	 * @param passedAny rows of which any choice passed (pass@n)
	 * @param choices the most choices a scored row had (the n of pass@n)
	 */
	public record Score(long scored, long passed, long passedAny, int choices) {

		/** Passes of the first choice per scored row (pass@1), from 0 to 1. */
		public double passRate() {
			return scored == 0 ? 0 : (double) passed / scored;
		}

		/** Rows of which any choice passed per scored row (pass@n), from 0 to 1. */
		public double passAnyRate() {
			return scored == 0 ? 0 : (double) passedAny / scored;
		}
	}

	public long rows() {
		return tally.rows();
	}

	public long promptTokens() {
		return tally.promptTokens();
	}

	public long completionTokens() {
		return tally.completionTokens();
	}

	public long retries() {
		return tally.retries();
	}

	/** Answered rows whose model has no price (their cost is unknown, not zero). */
	public long unpricedRows() {
		return tally.unpriced();
	}

	public BigDecimal costUsd() {
		return tally.cost();
	}

	/** Latencies of the rows written that were sent (not those answered from the cache), answered or failed. */
	public LatencyHistogram latency() {
		return tally.latency();
	}
}
