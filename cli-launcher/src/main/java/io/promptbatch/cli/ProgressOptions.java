package io.promptbatch.cli;

import java.time.Duration;
import picocli.CommandLine.Option;

/** The option {@code run} and {@code resume} share for their progress lines. */
final class ProgressOptions {

	@Option(names = "--progress-interval", paramLabel = "DURATION", defaultValue = "10s", description = "How often to print a progress line when stderr is not a terminal (default: ${DEFAULT-VALUE}).")
	Duration progressInterval;
}
