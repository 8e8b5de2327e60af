package io.promptbatch.core.client;

import java.time.Duration;
import java.util.Locale;

/**
 * The client's settings, each default and each check declared once: the {@link ChatClient.Builder}, a run's
 * settings and the command's options all read them. A default that an option shows is the text the user would
 * type ({@code 120s}), a compile-time constant that option annotations can name; {@link #duration} reads it.
 */
public final class ClientSettings {

	/** Retries of a request after its first attempt. */
	public static final String MAX_RETRIES = "6";

	/** Time allowed for one attempt (with streaming: until the first byte). */
	public static final String TIMEOUT = "120s";

	/** With streaming: the longest silence allowed between bytes. */
	public static final String IDLE_TIMEOUT = "60s";

	/** How long the provider may be down before requests fail for good. */
	public static final String MAX_OUTAGE = "5m";

	/** The longest one row may take, its retries and their waits included. */
	public static final String MAX_ROW_TIME = "15m";

	/** Requests per minute at most; 0 for no limit. */
	public static final String RPM = "0";

	/** Tokens per minute at most; 0 for no limit. */
	public static final String TPM = "0";

	/** The first backoff cap, doubled per attempt (no option sets it). */
	public static final Duration INITIAL_BACKOFF = Duration.ofMillis(500);

	/** The highest backoff cap (no option sets it). */
	public static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

	private ClientSettings() {
	}

	/** A default's text, a whole number of seconds or minutes ({@code 120s}, {@code 5m}), as a duration. */
	public static Duration duration(String text) {
		return Duration.parse("PT" + text.toUpperCase(Locale.ROOT));
	}

	/** The retries after the first attempt, checked: not negative. */
	public static int maxRetries(int maxRetries) {
		if (maxRetries < 0) {
			throw new IllegalArgumentException("max retries must not be negative, was " + maxRetries);
		}
		return maxRetries;
	}

	/** A time limit ({@code what}: "timeout", "max outage"...), checked: more than zero. */
	public static Duration positive(String what, Duration limit) {
		if (limit.isNegative() || limit.isZero()) {
			throw new IllegalArgumentException(what + " must be positive, was " + limit);
		}
		return limit;
	}

	/** A rate ({@code what}: "requests per minute"...), checked: not negative, 0 for no limit. */
	public static long perMinute(String what, long rate) {
		if (rate < 0) {
			throw new IllegalArgumentException(what + " must not be negative, was " + rate);
		}
		return rate;
	}
}
