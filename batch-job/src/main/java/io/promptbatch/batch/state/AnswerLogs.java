package io.promptbatch.batch.state;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a state directory keeps the answer log of each state database it is used with: {@code answer-log/<id>/}, the
 * id being the database's ({@link StateSchema#identity}), with a file {@value #NAMED} naming the database. The answers
 * a killed process left in one database's log are inserted only into that database, when the state directory is next
 * used with it; used with another database meanwhile, they are kept, and a warning says for which database.
 */
public final class AnswerLogs {

	private static final Logger log = LoggerFactory.getLogger(AnswerLogs.class);

	/** The file in a database's log directory that names the database (never with a password). */
	static final String NAMED = "database";

	private AnswerLogs() {
	}

	/**
	 * The answer-log directory of a state database under a state directory's {@code answer-log}, made when missing.
	 * Segments written by versions before logs carried their database (directly under {@code answer-log}) are taken
	 * as this database's, as they were then.
	 * @param identity the database's identity
	 * @param shown the database as messages name it
	 */
	public static Path of(Path answerLogs, String identity, String shown) {
		Path own = answerLogs.resolve(identity);
		try {
			Files.createDirectories(own);
			Path named = own.resolve(NAMED);
			if (!Files.exists(named)) {
				Files.writeString(named, shown + "\n", StandardCharsets.UTF_8);
			}
			for (Path legacy : segments(answerLogs)) {
				Files.move(legacy, own.resolve(legacy.getFileName()), StandardCopyOption.ATOMIC_MOVE);
			}
			try (Stream<Path> dirs = Files.list(answerLogs)) {
				for (Path other : dirs.filter(d -> Files.isDirectory(d) && !d.equals(own)).toList()) {
					List<Path> left = segments(other);
					if (!left.isEmpty()) {
						log.warn("The answer log {} holds answers a stopped process received for another state database ({}): "
								+ "they are kept for it, and reach it when promptbatch next runs with this state directory "
								+ "and that database; a run continued without them asks for those answers again", other,
								name(other));
					}
				}
			}
		}
		catch (IOException e) {
			throw new UncheckedIOException("cannot prepare the answer log in " + answerLogs, e);
		}
		return own;
	}

	private static String name(Path dir) throws IOException {
		Path named = dir.resolve(NAMED);
		return Files.exists(named) ? Files.readString(named, StandardCharsets.UTF_8).strip() : "id " + dir.getFileName();
	}

	/** The answer-log segments directly in a directory. */
	private static List<Path> segments(Path dir) throws IOException {
		try (Stream<Path> files = Files.list(dir)) {
			return files.filter(f -> Files.isRegularFile(f) && f.getFileName().toString().matches("answers-\\d+\\.log"))
				.toList();
		}
	}
}
