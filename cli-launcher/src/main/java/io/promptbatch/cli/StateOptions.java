package io.promptbatch.cli;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Option;

/** Options every job command shares: where its state lives, and a file of defaults. */
final class StateOptions {

	@Option(names = "--state-dir", paramLabel = "DIR", defaultValue = ".promptbatch", description = "Job state, journal, lock and log (default: ${DEFAULT-VALUE}).")
	Path stateDir;

	@Option(names = "--config", paramLabel = "FILE", description = "Properties file of defaults for options not given (option=value per line); also PROMPTBATCH_CONFIG. Environment variables PROMPTBATCH_<OPTION> come first.")
	@Nullable Path config;

	/** Why a state directory cannot be used, and what to do, for a failure to create it or its lock file. */
	static String unusable(Path stateDir, IOException e) {
		String what;
		FileSystemException f = e instanceof FileSystemException fs ? fs : null;
		if (Files.exists(stateDir) && !Files.isDirectory(stateDir)) {
			what = "is a file, not a directory";
		}
		else if (f != null && (e instanceof FileAlreadyExistsException || e instanceof NotDirectoryException
				|| "Not a directory".equals(f.getReason()))) {
			Path blocking = stateDir.toAbsolutePath();
			while (blocking.getParent() != null && !Files.isRegularFile(blocking)) {
				blocking = blocking.getParent();
			}
			what = "cannot be created: " + (Files.isRegularFile(blocking) ? blocking : f.getFile())
					+ " is a file, not a directory";
		}
		else if (f != null) {
			what = "cannot be written (" + (f.getReason() != null ? f.getReason().toLowerCase(java.util.Locale.ROOT)
					: "permission denied") + ": " + f.getFile() + ")";
		}
		else {
			what = "cannot be used (" + e + ")";
		}
		return "--state-dir " + stateDir + ": " + what + "; give a directory this user can write to (it is created when "
				+ "missing) with --state-dir or PROMPTBATCH_STATE_DIR";
	}
}
