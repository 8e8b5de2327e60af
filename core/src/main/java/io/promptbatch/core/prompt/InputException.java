package io.promptbatch.core.prompt;

import java.nio.file.Path;

/**
 * Input that cannot be used as it is. The message names the file, the line and what to do.
 */
public class InputException extends RuntimeException {

	private static final long serialVersionUID = 1L;

	private final transient Path file;

	private final long line;

	public InputException(Path file, long line, String problem) {
		this(file, line, problem, null);
	}

	public InputException(Path file, long line, String problem, Throwable cause) {
		super(file + (line > 0 ? ":" + line : "") + ": " + problem, cause);
		this.file = file;
		this.line = line;
	}

	public Path file() {
		return file;
	}

	/** The 1-based line of the problem, or 0 when it is about the whole file. */
	public long line() {
		return line;
	}
}
