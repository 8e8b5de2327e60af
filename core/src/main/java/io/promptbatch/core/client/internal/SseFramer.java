package io.promptbatch.core.client.internal;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * Server-sent-event framing: bytes, in buffers cut anywhere, to the data of each event. Lines end in LF
 * or CRLF; an event's {@code data:} lines (one space after the colon dropped) are joined by LF and the
 * event ends at a blank line; comment ({@code :}), {@code event:}, {@code id:} and {@code retry:} lines
 * are skipped. Bytes are copied in bulk, up to each line end; not thread-safe (one stream's buffers
 * arrive in order).
 */
final class SseFramer {

	private final Consumer<String> events;
	private byte[] line = new byte[256];
	private int length;
	/** The event's data so far: its one line, or null when it has none. */
	private @Nullable String data;
	/** The event's data when it has more than one line. */
	private @Nullable StringBuilder joined;

	/** @param events told the data of each event, stripped of surrounding white space */
	SseFramer(Consumer<String> events) {
		this.events = events;
	}

	/** Frames the buffer's remaining bytes; a line cut at its end is completed by the next buffer. */
	void feed(ByteBuffer buffer) {
		int limit = buffer.limit();
		while (buffer.hasRemaining()) {
			int from = buffer.position();
			int end = from;
			while (end < limit && buffer.get(end) != '\n') {
				end++;
			}
			append(buffer, end - from);
			if (end == limit) {
				return;
			}
			buffer.get(); // the '\n'
			onLine();
		}
	}

	/** The end of the stream: a last line without its LF, and an event without its blank line, count. */
	void finish() {
		if (length > 0) {
			onLine();
		}
		dispatch();
	}

	private void append(ByteBuffer buffer, int n) {
		if (length + n > line.length) {
			line = Arrays.copyOf(line, Math.max(line.length * 2, length + n));
		}
		buffer.get(line, length, n);
		length += n;
	}

	private void onLine() {
		int end = length > 0 && line[length - 1] == '\r' ? length - 1 : length;
		length = 0;
		if (end == 0) {
			dispatch();
		}
		else if (end >= 5 && line[0] == 'd' && line[1] == 'a' && line[2] == 't' && line[3] == 'a' && line[4] == ':') {
			int from = end > 5 && line[5] == ' ' ? 6 : 5;
			addData(new String(line, from, end - from, StandardCharsets.UTF_8));
		}
		// ':' comments (keep-alives), 'event:', 'id:' and 'retry:' lines carry nothing we need
	}

	private void addData(String text) {
		if (data == null) {
			data = text;
			return;
		}
		if (joined == null) {
			joined = new StringBuilder(data);
		}
		joined.append('\n').append(text);
	}

	private void dispatch() {
		String event = joined != null ? joined.toString() : data;
		data = null;
		joined = null;
		if (event != null) {
			String stripped = event.strip();
			if (!stripped.isEmpty()) {
				events.accept(stripped);
			}
		}
	}
}
