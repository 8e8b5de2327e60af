package io.promptbatch.core.prompt;

import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/**
 * Input that cannot be used as it is. The message names the file, the line and what to do.
 */
public class InputException extends RuntimeException {

	private static final long serialVersionUID = 1L;

	private final transient Path file;

	private final long line;

	private final boolean recordOnly;

	/** A problem with the file as a whole, or one that makes the rest of it unreadable. */
	public InputException(Path file, long line, String problem) {
		this(file, line, problem, null);
	}

	public InputException(Path file, long line, String problem, @Nullable Throwable cause) {
		this(file, line, problem, cause, false);
	}

	private InputException(Path file, long line, String problem, @Nullable Throwable cause, boolean recordOnly) {
		super(file + (line > 0 ? ":" + line : "") + ": " + problem, cause);
		this.file = file;
		this.line = line;
		this.recordOnly = recordOnly;
	}

	/** A problem with one record only: the records after it can still be read. */
	public static InputException record(Path file, long line, String problem) {
		return new InputException(file, line, problem, null, true);
	}

	/** True when only this record is bad, so that {@code --skip-invalid} can reject it and go on. */
	public boolean recordOnly() {
		return recordOnly;
	}

	/** The problem without the file and line. */
	public String problem() {
		String m = getMessage();
		String prefix = file + (line > 0 ? ":" + line : "") + ": ";
		return m != null && m.startsWith(prefix) ? m.substring(prefix.length()) : String.valueOf(m);
	}

	public Path file() {
		return file;
	}

	/** The 1-based line of the problem, or 0 when it is about the whole file. */
	public long line() {
		return line;
	}
}
