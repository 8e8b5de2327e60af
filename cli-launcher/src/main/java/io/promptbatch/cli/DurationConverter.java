package io.promptbatch.cli;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Reads durations written {@code 500ms}, {@code 30s}, {@code 2m} or {@code 1h}. */
final class DurationConverter implements ITypeConverter<Duration> {

	private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h)");

	/** The same, where zero is a meaningful value (the simulator's latency). */
	static final class OrZero implements ITypeConverter<Duration> {

		@Override
		public Duration convert(String value) {
			return "0".equals(value.strip()) ? Duration.ZERO : parse(value, true);
		}
	}

	@Override
	public Duration convert(String value) {
		return parse(value, false);
	}

	private static Duration parse(String value, boolean zeroAllowed) {
		Matcher m = DURATION.matcher(value.strip());
		if (!m.matches()) {
			throw new TypeConversionException("'" + value + "' is not a duration; write e.g. 500ms, 30s, 2m or 1h");
		}
		long n = Long.parseLong(m.group(1));
		Duration d = switch (m.group(2)) {
			case "ms" -> Duration.ofMillis(n);
			case "s" -> Duration.ofSeconds(n);
			case "m" -> Duration.ofMinutes(n);
			default -> Duration.ofHours(n);
		};
		if (d.isZero() && !zeroAllowed) {
			throw new TypeConversionException("'" + value + "' must be longer than zero");
		}
		return d;
	}
}
