package io.promptbatch.cli;

import java.nio.file.Path;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Option;

/** Options every job command shares: where its state lives, and a file of defaults. */
final class StateOptions {

	@Option(names = "--state-dir", paramLabel = "DIR", defaultValue = ".promptbatch", description = "Job state, journal, lock and log (default: ${DEFAULT-VALUE}).")
	Path stateDir;

	@Option(names = "--config", paramLabel = "FILE", description = "Properties file of defaults for options not given (option=value per line); also PROMPTBATCH_CONFIG. Environment variables PROMPTBATCH_<OPTION> come first.")
	@Nullable Path config;
}
