package io.promptbatch.core.client;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/** A request rejected for itself (400, 404, 413, 422, content filter): the row fails, the run goes on. */
public sealed class NonRetriableChatException extends ChatException permits FatalChatException {

	private static final long serialVersionUID = 1L;

	public NonRetriableChatException(int status, @Nullable String code, String message, @Nullable String requestId,
			@Nullable Throwable cause) {
		this(status, code, message, requestId, null, cause);
	}

	NonRetriableChatException(int status, @Nullable String code, String message, @Nullable String requestId,
			@Nullable Duration retryAfter, @Nullable Throwable cause) {
		super(status, code, message, requestId, retryAfter, cause);
	}
}
