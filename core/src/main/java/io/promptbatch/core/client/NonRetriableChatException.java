package io.promptbatch.core.client;

import org.jspecify.annotations.Nullable;

/** A request rejected for itself (400, 404, 413, 422, content filter): the row fails, the run goes on. */
public sealed class NonRetriableChatException extends ChatException permits FatalChatException {

	private static final long serialVersionUID = 1L;

	public NonRetriableChatException(int status, @Nullable String code, String message, @Nullable String requestId,
			@Nullable Throwable cause) {
		super(status, code, message, requestId, null, cause);
	}

	/** A rejection the server reported, with what it said. */
	public NonRetriableChatException(ServerError server, int status, @Nullable String code, String message,
			@Nullable String requestId) {
		super(status, code, message, requestId, null, null, server);
	}
}
