package io.promptbatch.core.prompt;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * What an input file was when a run read it: its size, its modification time and a SHA-256 of its
 * bytes. A run records it, and a resumed run compares it with the file as it is now: the rows to skip
 * are counted in records, so a file changed in between would resume on the wrong rows.
 *
 * @param size the file's size in bytes
 * @param modified the file's last modification time, in milliseconds since the epoch
 * @param sha256 the SHA-256 of the file's bytes, in lower-case hexadecimal
 */
public record InputFingerprint(long size, long modified, String sha256) {

	private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss")
		.withZone(ZoneId.systemDefault());

	/** Reads the whole file once. */
	public static InputFingerprint of(Path file) throws IOException {
		BasicFileAttributes before = Files.readAttributes(file, BasicFileAttributes.class);
		MessageDigest digest;
		try {
			digest = MessageDigest.getInstance("SHA-256");
		}
		catch (NoSuchAlgorithmException e) {
			throw new IllegalStateException("this Java runtime has no SHA-256", e);
		}
		byte[] buffer = new byte[1 << 16];
		try (InputStream in = Files.newInputStream(file)) {
			int n;
			while ((n = in.read(buffer)) > 0) {
				digest.update(buffer, 0, n);
			}
		}
		return new InputFingerprint(before.size(), before.lastModifiedTime().toMillis(),
				HexFormat.of().formatHex(digest.digest()));
	}

	/** Whether the file holds the same bytes (its modification time alone does not count). */
	public boolean sameContent(InputFingerprint other) {
		return size == other.size && sha256.equals(other.sha256);
	}

	/** What differs between this recorded state and {@code now}, for a message: "size 1,204 -> 1,310 bytes, ...". */
	public String changesTo(InputFingerprint now) {
		List<String> changes = new ArrayList<>(3);
		if (size != now.size) {
			changes.add(String.format("size %,d -> %,d bytes", size, now.size));
		}
		if (modified != now.modified) {
			changes.add("modified " + TIME.format(Instant.ofEpochMilli(now.modified)) + " (was "
					+ TIME.format(Instant.ofEpochMilli(modified)) + ")");
		}
		changes.add(sha256.equals(now.sha256) ? "same content" : "different content");
		return String.join(", ", changes);
	}
}
