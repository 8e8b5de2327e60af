package io.promptbatch.batch;

import io.promptbatch.core.limit.ConcurrencyLimit;

/**
 * How many rows a run has in flight: {@link #fixed(int) fixed(n)} or {@link #auto(int) auto(max)}. "In flight"
 * means one thing in both: a row whose request has been sent and whose answer has not arrived (and been
 * recorded) yet, retries and the waits before them included: a row waiting out a backoff or a {@code
 * Retry-After} keeps its slot, so that a provider that asked to wait gets no other request in its place. With
 * {@code fixed} there are never more than {@code n}; with {@code auto} the limit adapts below {@code max},
 * growing while the provider takes the requests and shrinking when it refuses. One {@link #limit()} holds the
 * rows the run takes and learns from the attempts the client sends.
 *
 * @param max rows in flight at most
 * @param auto adapt the rows in flight to what the provider takes, up to {@code max}
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

	/** {@code n} rows in flight at all times. */
	public static Concurrency fixed(int n) {
		return new Concurrency(n, false);
	}

	/** Up to {@code max} rows in flight, adapted to what the provider takes. */
	public static Concurrency auto(int max) {
		return new Concurrency(max, true);
	}

	/**
	 * The one limit of rows in flight (a new one each call): the dispatcher takes each row's slot from it and
	 * releases it once the row's outcome is handled; the client tells it each attempt's outcome (an adaptive
	 * limit learns from them).
	 */
	public ConcurrencyLimit limit() {
		return auto ? ConcurrencyLimit.adaptive(max) : ConcurrencyLimit.fixed(max);
	}

	/** {@code "16"} or {@code "auto up to 256"}, as the progress and summary lines say it. */
	public String describe() {
		return auto ? "auto up to " + max : Integer.toString(max);
	}
}
