package io.promptbatch.core.client;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * A request that did not give an answer. Two roots: {@link RetriableChatException} (try again) and
 * {@link NonRetriableChatException} (do not); {@link FatalChatException} dooms every other row too.
 * Messages never contain the API key.
 */
public abstract sealed class ChatException extends RuntimeException
		permits RetriableChatException, NonRetriableChatException {

	private static final long serialVersionUID = 1L;

	private final int status;
	private final @Nullable String code;
	private final @Nullable String requestId;
	private final transient @Nullable Duration retryAfter;

	protected ChatException(int status, @Nullable String code, String message, @Nullable String requestId,
			@Nullable Duration retryAfter, @Nullable Throwable cause) {
		super(message, cause);
		this.status = status;
		this.code = code;
		this.requestId = requestId;
		this.retryAfter = retryAfter;
	}

	/** The HTTP status, or 0 when no response arrived (connection or timeout failure). */
	public int status() {
		return status;
	}

	/** The provider's error code or type, when it gave one. */
	public @Nullable String code() {
		return code;
	}

	/** The provider's trace or request id, when it gave one. */
	public @Nullable String requestId() {
		return requestId;
	}

	/** How long the provider asked us to wait before trying again, when it said. */
	public @Nullable Duration retryAfter() {
		return retryAfter;
	}

	/** One line for the output's {@code error} column: status, code, message and request id. */
	public String describe() {
		StringBuilder sb = new StringBuilder();
		if (status > 0) {
			sb.append("HTTP ").append(status);
		}
		if (code != null && !code.isBlank()) {
			sb.append(sb.length() > 0 ? " " : "").append(code);
		}
		sb.append(sb.length() > 0 ? ": " : "").append(getMessage());
		if (requestId != null && !requestId.isBlank()) {
			sb.append(" (request ").append(requestId).append(')');
		}
		return sb.toString();
	}
}
