package io.promptbatch.core.client.internal;

import io.promptbatch.core.client.ChatException;
import io.promptbatch.core.client.FatalChatException;
import io.promptbatch.core.client.NonRetriableChatException;
import io.promptbatch.core.client.RetriableChatException;
import io.promptbatch.core.client.ServerError;
import io.promptbatch.core.limit.ProviderOutageException;
import java.net.ConnectException;
import java.net.http.HttpHeaders;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * The one place that turns an HTTP status and error body, or a transport failure, into meaning:
 * retry, fail the row, or stop the run, for a plain response and for a stream's error event alike.
 * Understands Ace Data Cloud ({@code {success,error{code,message},trace_id}}), Moonshot
 * ({@code {error{type,message}}}), OpenAI ({@code {error{message,type,code}}}) and llama.cpp
 * ({@code {error{code:400,type,message}}}) bodies, keeping type, code, message and request id apart
 * and the body as received, and non-JSON bodies from proxies.
 */
public final class ErrorMapper {

	private static final Duration MAX_RETRY_AFTER = Duration.ofMinutes(2);

	private final String keyHint;

	/**
	 * @param keyHint where the key comes from, for messages about a rejected key (e.g. "the key in
	 *     ACEDATA_API_TOKEN"); never the key itself
	 */
	public ErrorMapper(String keyHint) {
		this.keyHint = keyHint;
	}

	/** An HTTP response with a status other than 2xx. */
	public ChatException fromResponse(int status, HttpHeaders headers, byte[] body) {
		return classify(status, ErrorBody.parse(body), headers);
	}

	/**
	 * A stream's error event ({@code data: {"error":{...}}}), read as the HTTP status it names: its
	 * numeric {@code code} or {@code status}, else the status its {@code type} or {@code code} stands for
	 * ({@code server_error} 500, {@code rate_limit*} 429, {@code *overloaded*} 503), else 400. It is then
	 * classified exactly as a response with that status would be.
	 */
	public ChatException fromStreamEvent(byte[] event, HttpHeaders headers) {
		ErrorBody error = ErrorBody.parse(event);
		return classify(error.impliedStatus(), error, headers);
	}

	private ChatException classify(int status, ErrorBody error, HttpHeaders headers) {
		String requestId = error.requestId != null ? error.requestId
				: headers.firstValue("x-request-id").or(() -> headers.firstValue("x-trace-id")).orElse(null);
		String code = error.code;
		String message = error.message;
		ServerError server = new ServerError(error.type, error.body);
		Duration retryAfter = retryAfter(headers);
		String text = ((error.type == null ? "" : error.type) + " " + (code == null ? "" : code) + " " + message)
			.toLowerCase(Locale.ROOT);
		if (status == 401) {
			return new FatalChatException(server, status, code, "the API key was rejected (" + message + "); check "
					+ keyHint + ", then run the same command again to continue", requestId);
		}
		if (status == 403) {
			return new FatalChatException(server, status, code, "the provider refused the request (" + message
					+ "); check the account's balance and permissions for this model, then run the same command again",
					requestId);
		}
		if (status == 429 && isQuota(text)) {
			return new FatalChatException(server, status, code, "the account's quota or balance is exhausted ("
					+ message + "); top it up or wait for the quota to reset, then run the same command again",
					requestId);
		}
		if (status == 408 || status == 409 || status == 425 || status == 429 || status >= 500) {
			return new RetriableChatException(server, status, code, message, requestId, retryAfter);
		}
		return new NonRetriableChatException(server, status, code, message, requestId);
	}

	/** A failure before any response: connection refused or reset, timeout. */
	public ChatException fromTransport(Throwable failure, String target, Duration timeout) {
		Throwable t = ChatException.unwrap(failure);
		if (t instanceof ChatException ce) {
			return ce;
		}
		if (t instanceof ProviderOutageException outage) {
			return new FatalChatException(0, "provider_outage", outage.getMessage(), null, outage);
		}
		if (t instanceof HttpTimeoutException || t instanceof TimeoutException) {
			return new RetriableChatException(0, "timeout", "no answer from " + target + " within " + timeout.toMillis()
					+ " ms", null, null, t);
		}
		if (t instanceof ConnectException) {
			return new RetriableChatException(0, "connection_refused", "cannot connect to " + target + " ("
					+ describe(t) + ")", null, null, t, true);
		}
		if (t instanceof java.io.IOException) {
			return new RetriableChatException(0, "connection_error", "connection to " + target + " failed ("
					+ describe(t) + ")", null, null, t);
		}
		// an IllegalArgumentException from the HTTP library may quote a header, the key's among them: its text is not kept
		return new NonRetriableChatException(0, "client_error", "unexpected failure: " + (t instanceof IllegalArgumentException
				? t.getClass().getSimpleName() + " (its message is left out: it may quote a request header)" : describe(t)),
				null, t);
	}

	private static String describe(Throwable t) {
		return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
	}

	static boolean isQuota(String text) {
		return text.contains("quota") || text.contains("balance") || text.contains("insufficient")
				|| text.contains("billing") || text.contains("exceeded_current");
	}

	/** {@code retry-after-ms}, {@code Retry-After} (seconds or HTTP date), or {@code X-RateLimit-Reset}. */
	static @Nullable Duration retryAfter(HttpHeaders headers) {
		Optional<String> ms = headers.firstValue("retry-after-ms");
		if (ms.isPresent()) {
			try {
				return cap(Duration.ofMillis((long) Double.parseDouble(ms.get().trim())));
			}
			catch (NumberFormatException e) {
				// fall through to the other headers
			}
		}
		Optional<String> after = headers.firstValue("retry-after");
		if (after.isPresent()) {
			String value = after.get().trim();
			try {
				return cap(Duration.ofMillis((long) (Double.parseDouble(value) * 1000)));
			}
			catch (NumberFormatException e) {
				try {
					ZonedDateTime at = ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME);
					return cap(Duration.between(Instant.now(), at.toInstant()));
				}
				catch (RuntimeException ignored) {
					// unparseable: use our own backoff
				}
			}
		}
		Optional<String> reset = headers.firstValue("x-ratelimit-reset");
		if (reset.isPresent()) {
			try {
				double value = Double.parseDouble(reset.get().trim());
				// an epoch timestamp, or seconds from now
				long millis = value > 1_000_000_000 ? (long) (value * 1000) - System.currentTimeMillis()
						: (long) (value * 1000);
				return cap(Duration.ofMillis(millis));
			}
			catch (NumberFormatException e) {
				// e.g. "1m30s": use our own backoff
			}
		}
		return null;
	}

	private static Duration cap(Duration d) {
		if (d.isNegative()) {
			return Duration.ZERO;
		}
		return d.compareTo(MAX_RETRY_AFTER) > 0 ? MAX_RETRY_AFTER : d;
	}

	/**
	 * The parts of any of the known error body shapes, kept apart.
	 *
	 * @param body the body as received when it is a JSON object, else null
	 */
	private record ErrorBody(@Nullable String type, @Nullable String code, @Nullable Integer status, String message,
			@Nullable String requestId, @Nullable String body) {

		static ErrorBody parse(byte[] body) {
			String raw = new String(body, StandardCharsets.UTF_8);
			try {
				JsonNode root = WireFormat.JSON.readTree(body);
				if (root != null && root.isObject()) {
					JsonNode error = root.path("error");
					String type = null;
					String code = null;
					Integer status = null;
					String message = null;
					if (error.isObject()) {
						type = text(error.get("type"));
						code = text(error.get("code"));
						message = text(error.get("message"));
						status = httpStatus(error.get("code"));
						if (status == null) {
							status = httpStatus(error.get("status"));
						}
					}
					else if (error.isString()) {
						message = error.asString();
					}
					if (message == null) {
						message = firstText(root.get("message"), root.get("detail"));
					}
					String requestId = firstText(root.get("trace_id"), root.get("request_id"));
					if (requestId == null && error.isObject()) {
						requestId = text(error.get("request_id"));
					}
					return new ErrorBody(type, code, status, message == null ? abbreviate(raw) : message, requestId,
							raw);
				}
			}
			catch (RuntimeException e) {
				// not JSON: a proxy's HTML page or plain text
			}
			String text = raw.replaceAll("(?s)<(script|style)[^>]*>.*?</\\1>", " ")
				.replaceAll("<[^>]+>", " ")
				.replaceAll("\\s+", " ")
				.strip();
			return new ErrorBody(null, null, null,
					text.isEmpty() ? "empty response body" : "non-JSON response: " + abbreviate(text), null, null);
		}

		/** The HTTP status this error stands for when it came without one (a stream's error event). */
		int impliedStatus() {
			if (status != null) {
				return status;
			}
			for (String name : new String[] { type, code }) {
				if (name == null) {
					continue;
				}
				String n = name.toLowerCase(Locale.ROOT);
				if (n.equals("server_error") || n.equals("api_error") || n.equals("internal_error")) {
					return 500;
				}
				if (n.startsWith("rate_limit") || n.equals("too_many_requests")) {
					return 429;
				}
				if (n.contains("overloaded")) {
					return 503;
				}
			}
			return 400;
		}

		/** A number that is an HTTP error status (400-599), as a number or as text. */
		private static @Nullable Integer httpStatus(@Nullable JsonNode node) {
			if (node == null || !(node.isNumber() || node.isString())) {
				return null;
			}
			String s = node.asString().strip();
			if (!s.matches("[45]\\d\\d")) {
				return null;
			}
			return Integer.parseInt(s);
		}

		private static @Nullable String text(@Nullable JsonNode node) {
			return node != null && !node.isNull() && !node.isContainer() ? node.asString() : null;
		}

		private static @Nullable String firstText(@Nullable JsonNode a, @Nullable JsonNode b) {
			String first = text(a);
			return first != null ? first : text(b);
		}

		private static String abbreviate(String s) {
			return s.length() <= 300 ? s : s.substring(0, 300) + "...";
		}
	}
}
