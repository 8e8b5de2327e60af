package io.promptbatch.batch.state;

/**
 * The state database cannot be used as it is: not reached, the login refused, missing, or its schema from
 * another promptbatch version. Its message names the database (never its password) and what to do.
 */
public final class StateDatabaseException extends RuntimeException {

	private static final long serialVersionUID = 1L;

	public StateDatabaseException(String message) {
		super(message);
	}
}
