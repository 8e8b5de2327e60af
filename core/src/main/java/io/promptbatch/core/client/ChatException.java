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
	private final @Nullable ServerError server;

	protected ChatException(int status, @Nullable String code, String message, @Nullable String requestId,
			@Nullable Duration retryAfter, @Nullable Throwable cause) {
		this(status, code, message, requestId, retryAfter, cause, null);
	}

	protected ChatException(int status, @Nullable String code, String message, @Nullable String requestId,
			@Nullable Duration retryAfter, @Nullable Throwable cause, @Nullable ServerError server) {
		super(message, cause);
		this.status = status;
		this.code = code;
		this.requestId = requestId;
		this.retryAfter = retryAfter;
		this.server = server;
	}

	/** The HTTP status, or 0 when no response arrived (connection or timeout failure). */
	public int status() {
		return status;
	}

	/**
	 * The provider's error {@code code} as text (a number such as llama.cpp's {@code 400} too), or, for
	 * a failure without a response, promptbatch's own ({@code timeout}, {@code connection_refused},
	 * {@code stream_incomplete}, ...).
	 */
	public @Nullable String code() {
		return code;
	}

	/** The provider's error {@code type} ({@code invalid_request_error}, {@code exceed_context_size_error}), when it gave one. */
	public @Nullable String type() {
		return server == null ? null : server.type();
	}

	/**
	 * The error as the server sent it (its error body, or a stream's error event), when the failure came
	 * from the server.
	 */
	public @Nullable ServerError server() {
		return server;
	}

	/**
	 * The error's name, for the {@code error} column and for grouping: the provider's {@code code} unless
	 * it is only a number, else its {@code type}, else the number.
	 */
	public @Nullable String reason() {
		return reason(code, type());
	}

	/**
	 * An error's name from its {@code code} and {@code type} as a server gave them: the code unless it is
	 * only a number (llama.cpp repeats the status there), else the type, else the number.
	 */
	public static @Nullable String reason(@Nullable String code, @Nullable String type) {
		if (code != null && !code.isBlank() && !isNumber(code)) {
			return code;
		}
		if (type != null && !type.isBlank()) {
			return type;
		}
		return code == null || code.isBlank() ? null : code;
	}

	private static boolean isNumber(String s) {
		return s.chars().allMatch(Character::isDigit);
	}

	/**
	 * The failure inside the {@link java.util.concurrent.CompletionException} or
	 * {@link java.util.concurrent.ExecutionException} wrappers a future adds, for callers that join a
	 * client's future and look for the {@code ChatException} in it.
	 */
	public static Throwable unwrap(Throwable failure) {
		Throwable current = failure;
		while ((current instanceof java.util.concurrent.CompletionException
				|| current instanceof java.util.concurrent.ExecutionException) && current.getCause() != null) {
			current = current.getCause();
		}
		return current;
	}

	/** The provider's trace or request id, when it gave one. */
	public @Nullable String requestId() {
		return requestId;
	}

	/** How long the provider asked us to wait before trying again, when it said. */
	public @Nullable Duration retryAfter() {
		return retryAfter;
	}

	/**
	 * One line for the output's {@code error} column: {@code HTTP <status> <reason>: <message>}, then in
	 * parentheses whatever the reason left out (the {@code type} beside a code, a code that is not the
	 * status) and the request id.
	 */
	public String describe() {
		StringBuilder sb = new StringBuilder();
		if (status > 0) {
			sb.append("HTTP ").append(status);
		}
		String reason = reason();
		if (reason != null) {
			sb.append(sb.length() > 0 ? " " : "").append(reason);
		}
		sb.append(sb.length() > 0 ? ": " : "").append(getMessage());
		java.util.List<String> more = new java.util.ArrayList<>();
		String type = type();
		if (type != null && !type.isBlank() && !type.equals(reason)) {
			more.add("type " + type);
		}
		if (code != null && !code.isBlank() && !code.equals(reason) && !code.equals(Integer.toString(status))) {
			more.add("code " + code);
		}
		if (requestId != null && !requestId.isBlank()) {
			more.add("request " + requestId);
		}
		if (!more.isEmpty()) {
			sb.append(" (").append(String.join(", ", more)).append(')');
		}
		return sb.toString();
	}
}
