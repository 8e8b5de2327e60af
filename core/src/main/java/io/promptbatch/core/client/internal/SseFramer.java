package io.promptbatch.core.client.internal;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Server-sent-event framing: bytes, in buffers cut anywhere, to the data of each event. Lines end in LF
 * or CRLF; an event's {@code data:} lines (one space after the colon dropped) are joined by LF and the
 * event ends at a blank line; comment ({@code :}), {@code event:}, {@code id:} and {@code retry:} lines
 * are skipped. Bytes are copied in bulk, up to each line end, into buffers that are reused from event to
 * event, so that framing allocates nothing per event; not thread-safe (one stream's buffers arrive in
 * order).
 */
final class SseFramer {

	/** Told the data of each event, as bytes that are valid only during the call. */
	@FunctionalInterface
	interface Events {

		/** One event's data, stripped of surrounding ASCII white space, never empty. */
		void accept(byte[] data, int offset, int length);
	}

	private final Events events;
	private byte[] line = new byte[256];
	private int length;
	/** The event's data so far (its lines joined by LF), valid when {@link #hasData}. */
	private byte[] data = new byte[256];
	private int dataLength;
	private boolean hasData;

	/** @param events told the data of each event, stripped of surrounding ASCII white space */
	SseFramer(Events events) {
		this.events = events;
	}

	/** Frames the buffer's remaining bytes; a line cut at its end is completed by the next buffer. */
	void feed(ByteBuffer buffer) {
		int limit = buffer.limit();
		byte[] array = buffer.hasArray() ? buffer.array() : null;
		int base = array == null ? 0 : buffer.arrayOffset();
		while (buffer.hasRemaining()) {
			int from = buffer.position();
			int end = from;
			if (array != null) {
				while (end < limit && array[base + end] != '\n') {
					end++;
				}
			}
			else {
				while (end < limit && buffer.get(end) != '\n') {
					end++;
				}
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
			addData(from, end - from);
		}
		// ':' comments (keep-alives), 'event:', 'id:' and 'retry:' lines carry nothing we need
	}

	private void addData(int from, int n) {
		int needed = dataLength + (hasData ? 1 : 0) + n;
		if (needed > data.length) {
			data = Arrays.copyOf(data, Math.max(data.length * 2, needed));
		}
		if (hasData) {
			data[dataLength++] = '\n';
		}
		System.arraycopy(line, from, data, dataLength, n);
		dataLength += n;
		hasData = true;
	}

	private void dispatch() {
		if (!hasData) {
			return;
		}
		int from = 0;
		int to = dataLength;
		hasData = false;
		dataLength = 0;
		while (from < to && (data[from] & 0xFF) <= ' ') {
			from++;
		}
		while (to > from && (data[to - 1] & 0xFF) <= ' ') {
			to--;
		}
		if (to > from) {
			events.accept(data, from, to - from);
		}
	}
}
