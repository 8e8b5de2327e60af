package io.promptbatch.simulator;

/** A Batch API request refused: the HTTP status, the error code and a sentence saying what to do. */
final class BatchRequestException extends RuntimeException {

	private static final long serialVersionUID = 1L;

	private final int status;
	private final String code;

	BatchRequestException(int status, String code, String message) {
		super(message);
		this.status = status;
		this.code = code;
	}

	int status() {
		return status;
	}

	String code() {
		return code;
	}
}
