package io.promptbatch.batch.journal;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The journal's write-ahead part: answers appended to plain files under {@code <state>/answer-log/}, one
 * line each, the moment they arrive. An append is one {@code write} to a file the process keeps open, so
 * an answer it acknowledged survives a kill of the process (as a commit of the state database does; neither
 * waits for the disk itself).
 *
 * <p>The log is cut into segments. A segment whose answers are all in the journal table, and written to
 * the state database's file, is deleted; the segments left when a process ends without closing are read
 * back by the next one ({@link #replay}).
 *
 * <p>One thread appends; a line is {@code run TAB fingerprint TAB epoch-millis TAB answer-json}. A line
 * cut short by a kill has no line end and is skipped when read back: it was never acknowledged.
 */
final class AnswerLog {

	/** One recorded answer, as logged. */
	record Line(long runId, String fingerprint, long createdAtMillis, String json) {
	}

	private static final Logger log = LoggerFactory.getLogger(AnswerLog.class);

	private static final String PREFIX = "answers-";

	private static final String SUFFIX = ".log";

	private final Path dir;

	private final long segmentBytes;

	private final List<Path> closedSegments = new ArrayList<>();

	private @Nullable FileChannel channel;

	private @Nullable Path current;

	private long currentBytes;

	private long nextSegment;

	AnswerLog(Path dir, long segmentBytes) {
		this.dir = dir;
		this.segmentBytes = segmentBytes;
		this.nextSegment = segments(dir).stream().mapToLong(AnswerLog::number).max().orElse(0) + 1;
	}

	/** The segments under a directory, oldest first. */
	static List<Path> segments(Path dir) {
		if (!Files.isDirectory(dir)) {
			return List.of();
		}
		try (Stream<Path> files = Files.list(dir)) {
			return files.filter(p -> {
				String name = p.getFileName().toString();
				return name.startsWith(PREFIX) && name.endsWith(SUFFIX) && number(p) >= 0;
			}).sorted((a, b) -> Long.compare(number(a), number(b))).toList();
		}
		catch (IOException e) {
			throw new UncheckedIOException("cannot list the answer log in " + dir, e);
		}
	}

	private static long number(Path segment) {
		String name = segment.getFileName().toString();
		try {
			return Long.parseLong(name.substring(PREFIX.length(), name.length() - SUFFIX.length()));
		}
		catch (NumberFormatException | IndexOutOfBoundsException e) {
			return -1;
		}
	}

	/**
	 * Reads every complete line of the given segments, oldest first. A line that is not one (cut short by a
	 * kill, or damaged) is skipped with a warning.
	 * @return the number of lines read
	 */
	static long replay(List<Path> segments, Consumer<Line> sink) {
		long n = 0;
		for (Path segment : segments) {
			try (BufferedReader in = Files.newBufferedReader(segment, StandardCharsets.UTF_8)) {
				// a line without its line end is the last one, cut short: readLine cannot tell, so read by hand
				StringBuilder line = new StringBuilder();
				long number = 0;
				int c;
				while ((c = in.read()) >= 0) {
					if (c != '\n') {
						line.append((char) c);
						continue;
					}
					number++;
					Line parsed = parse(line.toString());
					if (parsed == null) {
						log.warn("Skipping line {} of {}: not an answer-log line", number, segment);
					}
					else {
						sink.accept(parsed);
						n++;
					}
					line.setLength(0);
				}
				if (!line.isEmpty()) {
					log.info("Skipping the last line of {}: cut short when the process ended", segment);
				}
			}
			catch (IOException e) {
				throw new UncheckedIOException("cannot read the answer log " + segment, e);
			}
		}
		return n;
	}

	private static @Nullable Line parse(String line) {
		String[] f = line.split("\t", 4);
		if (f.length != 4 || f[1].length() != 64 || !f[3].startsWith("{")) {
			return null;
		}
		try {
			return new Line(Long.parseLong(f[0]), f[1], Long.parseLong(f[2]), f[3]);
		}
		catch (NumberFormatException e) {
			return null;
		}
	}

	/** Appends lines in one write; when this returns they survive a kill of the process. */
	void append(List<Line> lines) throws IOException {
		StringBuilder text = new StringBuilder(lines.size() * 400);
		for (Line l : lines) {
			text.append(l.runId()).append('\t').append(l.fingerprint()).append('\t').append(l.createdAtMillis())
				.append('\t').append(l.json()).append('\n');
		}
		ByteBuffer bytes = ByteBuffer.wrap(text.toString().getBytes(StandardCharsets.UTF_8));
		FileChannel out = channel();
		while (bytes.hasRemaining()) {
			currentBytes += out.write(bytes);
		}
	}

	private FileChannel channel() throws IOException {
		if (channel == null) {
			Files.createDirectories(dir);
			current = dir.resolve(PREFIX + String.format("%06d", nextSegment++) + SUFFIX);
			channel = FileChannel.open(current, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
					StandardOpenOption.APPEND);
			currentBytes = 0;
		}
		return channel;
	}

	/** Whether the current segment is full: the next append starts a new one after {@link #seal}. */
	boolean full() {
		return currentBytes >= segmentBytes;
	}

	/** Closes the current segment; the next append starts a new one. */
	void seal() throws IOException {
		if (channel != null) {
			channel.close();
			closedSegments.add(current);
			channel = null;
			current = null;
		}
	}

	/** Deletes the sealed segments: call only once all their answers are durable in the journal table. */
	void deleteSealed() throws IOException {
		for (Path segment : closedSegments) {
			Files.deleteIfExists(segment);
		}
		closedSegments.clear();
	}
}
