package io.promptbatch.core.stats;

import java.util.Locale;
import java.util.TreeMap;

/**
 * Latencies in logarithmic buckets 5% wide, from 1 ms to days: percentiles within 5%, in a few
 * hundred counters however many rows, and small enough to save with every commit so that a resumed
 * run's percentiles cover all its rows.
 */
public final class LatencyHistogram {

	private static final double BASE = Math.log(1.05);

	private final TreeMap<Integer, Long> buckets = new TreeMap<>();

	private long count;

	public void add(long millis) {
		buckets.merge(bucket(millis), 1L, Long::sum);
		count++;
	}

	public long count() {
		return count;
	}

	/** The latency below which {@code percent} of the rows fall, in milliseconds (0 when empty). */
	public long percentile(double percent) {
		if (count == 0) {
			return 0;
		}
		long rank = (long) Math.ceil(percent / 100.0 * count);
		long seen = 0;
		for (var e : buckets.entrySet()) {
			seen += e.getValue();
			if (seen >= Math.max(1, rank)) {
				return upperBound(e.getKey());
			}
		}
		return upperBound(buckets.lastKey());
	}

	static int bucket(long millis) {
		return millis <= 1 ? 0 : (int) Math.ceil(Math.log(millis) / BASE);
	}

	static long upperBound(int bucket) {
		return bucket == 0 ? 1 : Math.round(Math.exp(bucket * BASE));
	}

	/**
	 * The non-empty buckets in order: each bucket's upper bound in milliseconds (inclusive; the lower
	 * bound is the previous bucket's, 5% less) and its count.
	 */
	public java.util.SortedMap<Long, Long> counts() {
		java.util.SortedMap<Long, Long> view = new TreeMap<>();
		buckets.forEach((b, c) -> view.merge(upperBound(b), c, Long::sum));
		return view;
	}

	/** A compact text form: {@code bucket:count,...}. */
	public String encode() {
		StringBuilder sb = new StringBuilder();
		buckets.forEach((b, c) -> sb.append(sb.length() == 0 ? "" : ",").append(b).append(':').append(c));
		return sb.toString();
	}

	public static LatencyHistogram decode(String text) {
		LatencyHistogram h = new LatencyHistogram();
		if (!text.isEmpty()) {
			for (String pair : text.split(",")) {
				int colon = pair.indexOf(':');
				long c = Long.parseLong(pair.substring(colon + 1));
				h.buckets.merge(Integer.parseInt(pair.substring(0, colon)), c, Long::sum);
				h.count += c;
			}
		}
		return h;
	}

	@Override
	public String toString() {
		return String.format(Locale.ROOT, "p50 %d ms, p95 %d ms, p99 %d ms", percentile(50), percentile(95),
				percentile(99));
	}
}
