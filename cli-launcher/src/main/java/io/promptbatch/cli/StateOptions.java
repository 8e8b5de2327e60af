package io.promptbatch.cli;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import io.promptbatch.batch.state.StateDatabase;
import java.time.Duration;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Options every job command shares: where its state lives, and a file of defaults. */
final class StateOptions {

	/** The environment variables of the shared state database's login; never options, so never in a config file. */
	static final String USER_VARIABLE = "PROMPTBATCH_STATE_DB_USER";

	static final String PASSWORD_VARIABLE = "PROMPTBATCH_STATE_DB_PASSWORD";

	@Spec(Spec.Target.MIXEE)
	CommandSpec mixee;

	@Option(names = "--state-dir", paramLabel = "DIR", defaultValue = ".promptbatch", description = "Job state, journal, lock and log (default: ${DEFAULT-VALUE}).")
	Path stateDir;

	@Option(names = "--state-db", paramLabel = "JDBC_URL", description = "Job state, journal and cache in a shared PostgreSQL database (jdbc:postgresql://HOST:5432/DB) instead of the H2 file under --state-dir, so that a run can continue on another machine; login from PROMPTBATCH_STATE_DB_USER and PROMPTBATCH_STATE_DB_PASSWORD, the URL, or ~/.pgpass.")
	@Nullable String stateDb;

	@Option(names = "--state-db-lease", paramLabel = "DURATION", defaultValue = StateDatabase.DEFAULT_LEASE, description = "With --state-db: how long a run's process may be silent before another process takes the run over (default: ${DEFAULT-VALUE}).")
	Duration stateDbLease;

	@Option(names = "--config", paramLabel = "FILE", description = "Properties file of defaults for options not given (option=value per line); also PROMPTBATCH_CONFIG. Environment variables PROMPTBATCH_<OPTION> come first.")
	@Nullable Path config;

	/**
	 * The shared state database of {@code --state-db}, with its login from the environment; null for the H2
	 * file under the state directory.
	 */
	@Nullable StateDatabase database() {
		if (stateDb == null || stateDb.isBlank()) {
			return null;
		}
		Map<String, String> env = mixee.root().userObject() instanceof PromptbatchCommand root ? root.environment()
				: System.getenv();
		try {
			return StateDatabase.of(stateDb, env.get(USER_VARIABLE), env.get(PASSWORD_VARIABLE), stateDbLease);
		}
		catch (IllegalArgumentException e) {
			throw new PromptbatchCommand.UsageException(e.getMessage());
		}
	}

	/** Whether there is state to read: a shared database, or the H2 file of the state directory. */
	boolean hasState() {
		return (stateDb != null && !stateDb.isBlank()) || Files.exists(stateDir.resolve("promptbatch.mv.db"));
	}

	/** Where the state is, as messages name it (never with a password). */
	String where() {
		StateDatabase db = database();
		return db != null ? db.shown() : stateDir.toAbsolutePath().toString();
	}

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
