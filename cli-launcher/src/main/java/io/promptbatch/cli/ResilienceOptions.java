package io.promptbatch.cli;

import io.promptbatch.batch.RunSpec.Resilience;
import java.time.Duration;
import picocli.CommandLine.Option;

/** The options of {@code run} that say how long a request may take and how often it is tried. */
final class ResilienceOptions {

	@Option(names = "--max-retries", paramLabel = "N", defaultValue = Resilience.MAX_RETRIES, description = "Retries of a failed request (429, 5xx, timeouts) (default: ${DEFAULT-VALUE}).")
	int maxRetries;

	@Option(names = "--timeout", paramLabel = "DURATION", defaultValue = Resilience.TIMEOUT, description = "Time allowed for one attempt, e.g. 90s, 2m (default: ${DEFAULT-VALUE}).")
	Duration timeout;

	@Option(names = "--max-outage", paramLabel = "DURATION", defaultValue = Resilience.MAX_OUTAGE, description = "When nearly every request fails (an outage), requests pause and a probe tests the provider; after this long the run stops, resumably (default: ${DEFAULT-VALUE}).")
	Duration maxOutage;

	@Option(names = "--max-row-time", paramLabel = "DURATION", defaultValue = Resilience.MAX_ROW_TIME, description = "The longest one row may take, its retries and their waits included; then it fails (default: ${DEFAULT-VALUE}).")
	Duration maxRowTime;

	@Option(names = "--stream", description = "Stream answers (server-sent events): the timeout then covers the wait for the first byte, and only silence longer than --idle-timeout ends a long answer. Rows are the same as without.")
	boolean stream;

	@Option(names = "--idle-timeout", paramLabel = "DURATION", defaultValue = Resilience.IDLE_TIMEOUT, description = "With --stream: the longest silence allowed between bytes (default: ${DEFAULT-VALUE}).")
	Duration idleTimeout;

	/** The run's settings of these options. */
	Resilience resilience() {
		return new Resilience(maxRetries, timeout, stream, idleTimeout, maxOutage, maxRowTime);
	}
}
