package io.promptbatch.batch;

/**
 * A run that must not start as asked, because it would write over what is not its own or continue on
 * changed ground (an output another run wrote, an input changed since the run stopped). Nothing was
 * sent; the message says what differs and the ways on. Exit code 2.
 */
public final class RunRefusedException extends RuntimeException {

	private static final long serialVersionUID = 1L;

	public RunRefusedException(String message) {
		super(message);
	}
}
