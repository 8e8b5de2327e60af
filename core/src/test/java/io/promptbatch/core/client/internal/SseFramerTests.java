package io.promptbatch.core.client.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SseFramerTests {

	private static final String STREAM = ": keep-alive\r\n\r\n" + "data: {\"a\":1}\r\n\r\n" + "event: message\n"
			+ "id: 7\n" + "data: {\"b\":\"你好\"}\n\n" + "data:first\n" + "data: second\n\n" + "data: [DONE]\n\n";

	private static final List<String> EVENTS = List.of("{\"a\":1}", "{\"b\":\"你好\"}", "first\nsecond", "[DONE]");

	private final List<String> events = new ArrayList<>();

	private final SseFramer framer = new SseFramer(collecting(events));

	/** Each event's data as text, added to {@code events}. */
	private static SseFramer.Events collecting(List<String> events) {
		return (bytes, offset, n) -> events.add(new String(bytes, offset, n, StandardCharsets.UTF_8));
	}

	@Test
	void framesDataEventsAndSkipsCommentsAndOtherFields() {
		// when
		framer.feed(ByteBuffer.wrap(STREAM.getBytes(StandardCharsets.UTF_8)));
		framer.finish();

		// then
		assertThat(events).containsExactlyElementsOf(EVENTS);
	}

	@Test
	void givesTheSameEventsWhereverTheBytesAreCut() {
		byte[] bytes = STREAM.getBytes(StandardCharsets.UTF_8);
		for (int cut = 0; cut <= bytes.length; cut++) {
			// given: the stream in two buffers, cut inside a line, a CRLF or a UTF-8 character
			List<String> seen = new ArrayList<>();
			SseFramer split = new SseFramer(collecting(seen));

			// when
			split.feed(ByteBuffer.wrap(bytes, 0, cut));
			split.feed(ByteBuffer.wrap(bytes, cut, bytes.length - cut));
			split.finish();

			// then
			assertThat(seen).as("cut at byte %d", cut).containsExactlyElementsOf(EVENTS);
		}
	}

	@Test
	void readsDirectBuffersOneByteAtATimeAndLinesLongerThanItsBuffer() {
		// given: an event of 10,000 characters, sent a byte per direct buffer
		String big = "x".repeat(10_000);
		byte[] bytes = ("data: " + big + "\n\n").getBytes(StandardCharsets.UTF_8);

		// when
		for (byte b : bytes) {
			ByteBuffer direct = ByteBuffer.allocateDirect(1);
			direct.put(b).flip();
			framer.feed(direct);
		}

		// then
		assertThat(events).containsExactly(big);
	}

	@Test
	void endsALastEventThatHasNoBlankLineAfterIt() {
		framer.feed(ByteBuffer.wrap("data: [DONE]".getBytes(StandardCharsets.UTF_8)));
		assertThat(events).isEmpty();

		framer.finish();

		assertThat(events).containsExactly("[DONE]");
	}
}
