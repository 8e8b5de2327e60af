package io.promptbatch.batch;

import io.promptbatch.core.limit.ConcurrencyLimit;

/**
 * How many requests a run has in flight: {@link #fixed(int) fixed(n)} or {@link #auto(int) auto(max)}. "In
 * flight" means one thing in both: a request sent and not yet answered (and, once answered, recorded); a row
 * waiting out a backoff or a {@code Retry-After} between two attempts is not in flight, and other rows take its
 * place meanwhile. With {@code fixed} there are never more than {@code n}; with {@code auto} the limit adapts
 * below {@code max}, growing while the provider takes the requests and shrinking when it refuses. One
 * {@link #limit()} holds both the rows the run takes and the attempts the client sends.
 *
 * @param max requests in flight at most
 * @param auto adapt the requests in flight to what the provider takes, up to {@code max}
 */
public record Concurrency(int max, boolean auto) {

	/** The default of {@code --concurrency}. */
	public static final String DEFAULT = "16";

	/** The default of {@code --max-concurrency}, the most {@code --concurrency auto} may reach. */
	public static final String DEFAULT_AUTO_MAX = "256";

	/**
	 * The most rows in flight a run may have: above the highest concurrency any provider's account tier grants
	 * (Moonshot's top tier: 1,000), and each row in flight holds a connection, a thread's worth of buffers and
	 * 32 rows of the reorder buffer.
	 */
	public static final int CEILING = 1024;

	public Concurrency {
		ConcurrencyLimit.checked(max);
	}

	/** {@code n} requests in flight at all times. */
	public static Concurrency fixed(int n) {
		return new Concurrency(n, false);
	}

	/** Up to {@code max} requests in flight, adapted to what the provider takes. */
	public static Concurrency auto(int max) {
		return new Concurrency(max, true);
	}

	/**
	 * The one limit of requests in flight (a new one each call): the dispatcher takes a row's first slot from
	 * it, and the client's attempt gate gives the slot up while the row waits to retry and takes it again.
	 */
	public ConcurrencyLimit limit() {
		return auto ? ConcurrencyLimit.adaptive(max) : ConcurrencyLimit.fixed(max);
	}

	/** {@code "16"} or {@code "auto up to 256"}, as the progress and summary lines say it. */
	public String describe() {
		return auto ? "auto up to " + max : Integer.toString(max);
	}
}
