package io.promptbatch.core.client;

import org.jspecify.annotations.Nullable;

/**
 * A failure that dooms every row: a rejected key (401), no balance or permission (403), an exhausted
 * quota, or no server at the base URL. The run stops; the message says what to do.
 */
public final class FatalChatException extends NonRetriableChatException {

	private static final long serialVersionUID = 1L;

	public FatalChatException(int status, @Nullable String code, String message, @Nullable String requestId,
			@Nullable Throwable cause) {
		super(status, code, message, requestId, cause);
	}

	/** A failure the server reported, with what it said. */
	public FatalChatException(ServerError server, int status, @Nullable String code, String message,
			@Nullable String requestId) {
		super(server, status, code, message, requestId);
	}
}
