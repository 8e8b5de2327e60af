package io.promptbatch.batch;

import io.promptbatch.core.limit.ConcurrencyLimit;
import org.jspecify.annotations.Nullable;

/**
 * How many rows a run has in flight: {@link #fixed(int) fixed(n)} or {@link #auto(int) auto(max)}. "In flight"
 * means one thing in both: a row taken from the input whose answer has not arrived yet, retries and their waits
 * included; there are never more than {@link #max()} of them. With {@code auto} the attempts those rows send are
 * further held to an adaptive limit below {@code max}, which grows while the provider takes them and shrinks
 * when it refuses.
 *
 * @param max rows in flight at most
 * @param auto adapt the attempts sent to what the provider takes, up to {@code max}
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
		if (max < 1) {
			throw new IllegalArgumentException("concurrency must be at least 1, was " + max);
		}
	}

	/** {@code n} rows in flight at all times. */
	public static Concurrency fixed(int n) {
		return new Concurrency(n, false);
	}

	/** Up to {@code max} rows in flight, their attempts adapted to what the provider takes. */
	public static Concurrency auto(int max) {
		return new Concurrency(max, true);
	}

	/** The gate of rows in flight. */
	public ConcurrencyLimit rowGate() {
		return ConcurrencyLimit.fixed(max);
	}

	/**
	 * The gate of attempts with {@code auto}, or null when the row gate alone holds: a row waiting out a
	 * {@code Retry-After} then keeps its slot.
	 */
	public @Nullable ConcurrencyLimit attemptGate() {
		return auto ? ConcurrencyLimit.adaptive(max) : null;
	}

	/** {@code "16"} or {@code "auto up to 256"}, as the progress and summary lines say it. */
	public String describe() {
		return auto ? "auto up to " + max : Integer.toString(max);
	}
}
