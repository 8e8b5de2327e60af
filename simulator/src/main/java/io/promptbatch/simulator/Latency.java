package io.promptbatch.simulator;

import java.time.Duration;
import java.util.SplittableRandom;

/**
 * How long the simulator waits before answering: fixed, or lognormal (heavy-tailed, as real
 * model latency is).
 *
 * @param medianMillis the median latency in milliseconds (the fixed latency when sigma is 0)
 * @param sigma the standard deviation of the latency's natural logarithm; 0 for fixed latency
 * @param maxMillis the upper bound of any single latency, so that the tail stays bounded
 */
public record Latency(double medianMillis, double sigma, long maxMillis) {

	/** No latency at all. */
	public static final Latency NONE = new Latency(0, 0, 0);

	public Latency {
		if (medianMillis < 0) {
			throw new IllegalArgumentException("median latency must not be negative, was " + medianMillis);
		}
		if (sigma < 0) {
			throw new IllegalArgumentException("latency sigma must not be negative, was " + sigma);
		}
	}

	public static Latency fixed(Duration duration) {
		return new Latency(duration.toMillis(), 0, duration.toMillis());
	}

	public static Latency lognormal(Duration median, double sigma) {
		return new Latency(median.toMillis(), sigma, Math.max(median.toMillis() * 1000L, 60_000L));
	}

	/** Draws one latency in nanoseconds. */
	long drawNanos(SplittableRandom random) {
		if (medianMillis == 0) {
			return 0;
		}
		double millis = medianMillis;
		if (sigma > 0) {
			millis = medianMillis * Math.exp(sigma * gaussian(random));
		}
		millis = Math.min(millis, maxMillis);
		return (long) (millis * 1_000_000d);
	}

	private static double gaussian(SplittableRandom random) {
		// Box-Muller; SplittableRandom has no nextGaussian on Java 17
		double u1 = random.nextDouble();
		double u2 = random.nextDouble();
		return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
	}

	@Override
	public String toString() {
		return sigma == 0 ? medianMillis + "ms fixed" : "lognormal(median " + medianMillis + "ms, sigma " + sigma + ")";
	}
}
