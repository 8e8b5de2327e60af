package io.promptbatch.batch.fanout;

import io.promptbatch.core.client.FatalChatException;

/** The run stopped because of a failure that dooms every row; the rows before it are committed. */
public final class RunStoppedException extends RuntimeException {

	private static final long serialVersionUID = 1L;

	public RunStoppedException(FatalChatException cause) {
		super(cause.describe(), cause);
	}

	public FatalChatException fatal() {
		return (FatalChatException) getCause();
	}
}
