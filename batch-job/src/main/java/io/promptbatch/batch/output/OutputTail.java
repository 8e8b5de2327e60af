package io.promptbatch.batch.output;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.jspecify.annotations.Nullable;
import org.springframework.batch.infrastructure.item.ExecutionContext;

/**
 * What the output held at a commit: a SHA-256 of the last 4 KiB before a committed position. A resumed
 * run checks it before it appends, so that rows are never appended to a file that is no longer the one
 * the run wrote (replaced by another run's output, or restored from another copy), even when the new
 * file is as long or longer.
 * <p>
 * A commit's own bytes reach the file when its transaction completes, after the step has saved its
 * context; so each commit records the tail of the commit before it, whose bytes are on disk.
 */
final class OutputTail {

	static final String POSITION = "output.tail.position";
	static final String SHA256 = "output.tail.sha256";

	private static final int TAIL = 4096;

	private OutputTail() {
	}

	/** Records the tail up to {@code committed}, a position of an earlier commit (nothing for 0). */
	static void record(ExecutionContext context, Path output, long committed) {
		if (committed <= 0) {
			return;
		}
		String sha = sha256(output, committed);
		if (sha != null) {
			context.putLong(POSITION, committed);
			context.putString(SHA256, sha);
		}
	}

	/** Whether the output still holds the recorded tail (true when none was recorded). */
	static boolean matches(ExecutionContext context, Path output) {
		if (!context.containsKey(POSITION)) {
			return true;
		}
		String sha = sha256(output, context.getLong(POSITION));
		return context.getString(SHA256).equals(sha);
	}

	static void clear(ExecutionContext context) {
		context.remove(POSITION);
		context.remove(SHA256);
	}

	/** The SHA-256 of the up to 4 KiB before {@code end}, or null when the file is shorter. */
	private static @Nullable String sha256(Path output, long end) {
		try (FileChannel channel = FileChannel.open(output, StandardOpenOption.READ)) {
			if (channel.size() < end) {
				return null;
			}
			long start = Math.max(0, end - TAIL);
			ByteBuffer bytes = ByteBuffer.allocate((int) (end - start));
			while (bytes.hasRemaining() && channel.read(bytes, start + bytes.position()) > 0) {
				// reads until the range is full
			}
			bytes.flip();
			MessageDigest digest = MessageDigest.getInstance("SHA-256");
			digest.update(bytes);
			return HexFormat.of().formatHex(digest.digest());
		}
		catch (java.nio.file.NoSuchFileException e) {
			return null;
		}
		catch (IOException e) {
			throw new UncheckedIOException(e);
		}
		catch (NoSuchAlgorithmException e) {
			throw new IllegalStateException("this Java runtime has no SHA-256", e);
		}
	}
}
