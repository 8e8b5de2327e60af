package io.promptbatch.core.client;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/** A failure that may pass: 429, 408, 5xx, connection errors, timeouts, a cut response. */
public final class RetriableChatException extends ChatException {

	private static final long serialVersionUID = 1L;

	private final boolean connectionRefused;

	public RetriableChatException(int status, @Nullable String code, String message, @Nullable String requestId,
			@Nullable Duration retryAfter, @Nullable Throwable cause) {
		this(status, code, message, requestId, retryAfter, cause, false);
	}

	public RetriableChatException(int status, @Nullable String code, String message, @Nullable String requestId,
			@Nullable Duration retryAfter, @Nullable Throwable cause, boolean connectionRefused) {
		super(status, code, message, requestId, retryAfter, cause);
		this.connectionRefused = connectionRefused;
	}

	/** A failure the server reported, with what it said. */
	public RetriableChatException(ServerError server, int status, @Nullable String code, String message,
			@Nullable String requestId, @Nullable Duration retryAfter) {
		super(status, code, message, requestId, retryAfter, null, server);
		this.connectionRefused = false;
	}

	/** No server accepted the connection at all. */
	public boolean connectionRefused() {
		return connectionRefused;
	}
}
