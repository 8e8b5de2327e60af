package io.promptbatch.core.client.internal;

import io.promptbatch.core.client.ChatException;
import io.promptbatch.core.client.ChatResponse;
import io.promptbatch.core.client.RetriableChatException;
import java.net.http.HttpHeaders;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import tools.jackson.core.JsonParser;
import tools.jackson.databind.node.ObjectNode;

/**
 * Reads a streamed chat completion (server-sent events) as it arrives, whatever reads the connection: the
 * transport hands over the body's bytes as they come ({@link #onBytes}), then its end ({@link #onEnd}) or the
 * connection's failure ({@link #onBroken}). The {@link SseFramer} frames the bytes into events, and this handles
 * the events, {@code data: [DONE]} at the end. The chunks are added up into the non-streaming body
 * ({@link StreamedBody}), kept whole in the answer; its first choice gives the answer's content, reasoning and
 * finish reason, and its usage (possibly from a final chunk with empty choices) the token counts. A stream that
 * ends without {@code [DONE]}, or that sends nothing for longer than the idle timeout, is a retriable failure; an
 * error event is mapped by {@link ErrorMapper#fromStreamEvent} exactly as the HTTP status it names would be.
 * <p>
 * The bytes, the end and a break come from one thread at a time, in order (the connection's reader); the idle
 * watchdog runs on the timer, and a failure it finds is told to the transport ({@code abort}), which closes the
 * connection.
 */
final class StreamingResponse {

	private static final byte[] DONE = "[DONE]".getBytes(StandardCharsets.US_ASCII);

	private final CompletableFuture<ChatResponse> result = new CompletableFuture<>();
	private final SseFramer framer = new SseFramer(this::onEvent);
	private final StreamedBody body = new StreamedBody();
	private final Duration idleTimeout;
	private final ErrorMapper errors;
	private final HttpHeaders headers;
	private final Runnable abort;
	private final ScheduledFuture<?> watchdog;
	private volatile long lastBytes = System.nanoTime();
	private boolean done;

	/**
	 * @param idleTimeout longest silence allowed between bytes (a long answer that keeps streaming is
	 *     never cut)
	 * @param timer checks the silence a few times per idle timeout, at most once a second
	 * @param errors maps an error event as it would the HTTP status the event names
	 * @param headers the response's headers (its request id)
	 * @param abort stops reading the connection once the stream has failed (from any thread)
	 */
	StreamingResponse(Duration idleTimeout, ScheduledExecutorService timer, ErrorMapper errors, HttpHeaders headers,
			Runnable abort) {
		this.idleTimeout = idleTimeout;
		this.errors = errors;
		this.headers = headers;
		this.abort = abort;
		long check = Math.max(50, Math.min(1000, idleTimeout.toMillis() / 4));
		this.watchdog = timer.scheduleWithFixedDelay(this::checkIdle, check, check, TimeUnit.MILLISECONDS);
		result.whenComplete((r, e) -> watchdog.cancel(false));
	}

	/** The answer, or the stream's failure as a {@link ChatException}. */
	CompletableFuture<ChatResponse> result() {
		return result;
	}

	private void checkIdle() {
		if (System.nanoTime() - lastBytes > idleTimeout.toNanos()) {
			fail(new RetriableChatException(0, "stream_idle", "the stream sent nothing for " + idleTimeout.toMillis()
					+ " ms", null, null, null));
		}
	}

	private void fail(ChatException e) {
		if (result.completeExceptionally(e)) {
			abort.run();
		}
	}

	/** The next bytes of the body (the buffer's remaining ones; it is read to its end). */
	void onBytes(ByteBuffer buffer) {
		lastBytes = System.nanoTime();
		if (result.isDone()) {
			return;
		}
		try {
			framer.feed(buffer);
		}
		catch (ChatException e) {
			fail(e);
		}
		catch (RuntimeException e) {
			fail(new RetriableChatException(200, "bad_stream", "unreadable stream chunk: " + e.getMessage(), null, null,
					e));
		}
	}

	/** One event's data: a chunk, an error, or the end; read from the framer's bytes without a string between. */
	private void onEvent(byte[] data, int offset, int length) {
		if (isDone(data, offset, length)) {
			done = true;
			return;
		}
		try (JsonParser parser = WireFormat.JSON.createParser(data, offset, length)) {
			if (!body.add(parser)) {
				throw errors.fromStreamEvent(Arrays.copyOfRange(data, offset, offset + length), headers);
			}
			if (parser.nextToken() != null) {
				throw new RetriableChatException(200, "bad_stream", "unreadable stream chunk: more than one JSON value in "
						+ "one event", null, null, null);
			}
		}
	}

	private static boolean isDone(byte[] data, int offset, int length) {
		return length == DONE.length && Arrays.equals(data, offset, offset + length, DONE, 0, DONE.length);
	}

	/** The connection failed before the body's end. */
	void onBroken(Throwable throwable) {
		fail(new RetriableChatException(0, "stream_broken", "the stream broke off (" + throwable.getMessage() + ")",
				null, null, throwable));
	}

	/** The body's end: the answer, or the failure of a stream that ended without {@code [DONE]}. */
	void onEnd() {
		if (result.isDone()) {
			return;
		}
		try {
			complete();
		}
		catch (RuntimeException e) {
			// a final event that is not JSON, or a body that cannot be put together: said, never an answer left
			// open for the idle watchdog to fail as silence
			fail(e instanceof ChatException ce ? ce
					: new RetriableChatException(200, "bad_stream", "the stream's end could not be read ("
							+ e.getMessage() + ")", null, null, e));
		}
	}

	private void complete() {
		try {
			framer.finish();
		}
		catch (ChatException e) {
			fail(e);
			return;
		}
		if (!done) {
			fail(new RetriableChatException(200, "stream_incomplete", "the stream ended without [DONE]", null, null,
					null));
			return;
		}
		ObjectNode whole = body.body();
		String content = body.firstChoiceText("content");
		String reasoning = body.firstChoiceText("reasoning_content");
		result.complete(new ChatResponse(whole.path("id").asString(""), whole.path("model").asString(""),
				content == null ? "" : content, reasoning != null ? reasoning : body.firstChoiceText("reasoning"),
				body.firstChoiceFinishReason(), WireFormat.usage(whole.get("usage")),
				WireFormat.JSON.writeValueAsString(whole)));
	}
}
