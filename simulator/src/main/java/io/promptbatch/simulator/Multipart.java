package io.promptbatch.simulator;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/** Reads a {@code multipart/form-data} body into its parts, as {@code POST /files} receives it. */
final class Multipart {

	private static final Pattern BOUNDARY = Pattern.compile("boundary=(?:\"([^\"]+)\"|([^;\\s]+))",
			Pattern.CASE_INSENSITIVE);

	private static final Pattern NAME = Pattern.compile("(?<![\\w*])name=\"([^\"]*)\"", Pattern.CASE_INSENSITIVE);

	private static final Pattern FILENAME = Pattern.compile("filename=\"([^\"]*)\"", Pattern.CASE_INSENSITIVE);

	/**
	 * One part of the form.
	 *
	 * @param name the field's name
	 * @param filename the file name the client gave, or null for a plain field
	 * @param content the part's bytes
	 */
	record Part(String name, @Nullable String filename, byte[] content) {

		String text() {
			return new String(content, StandardCharsets.UTF_8);
		}
	}

	private Multipart() {
	}

	/**
	 * The parts of a body.
	 * @throws IllegalArgumentException with a sentence saying what is wrong, when the body is not
	 * multipart/form-data with a boundary, or a part is cut off
	 */
	static List<Part> parse(@Nullable String contentType, byte[] body) {
		if (contentType == null || !contentType.toLowerCase(Locale.ROOT).startsWith("multipart/form-data")) {
			throw new IllegalArgumentException("the upload must be multipart/form-data, was " + contentType);
		}
		Matcher boundary = BOUNDARY.matcher(contentType);
		if (!boundary.find()) {
			throw new IllegalArgumentException("the multipart/form-data content type names no boundary");
		}
		byte[] delimiter = ("--" + (boundary.group(1) != null ? boundary.group(1) : boundary.group(2)))
			.getBytes(StandardCharsets.ISO_8859_1);
		List<Part> parts = new ArrayList<>();
		int at = indexOf(body, delimiter, 0);
		if (at < 0) {
			throw new IllegalArgumentException("the multipart body has no part");
		}
		while (true) {
			int next = at + delimiter.length;
			if (next + 1 < body.length && body[next] == '-' && body[next + 1] == '-') {
				return parts;
			}
			int headersStart = next + 2;
			int headersEnd = indexOf(body, "\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1), headersStart);
			if (headersEnd < 0) {
				throw new IllegalArgumentException("a multipart part has no end of headers");
			}
			String headers = new String(body, headersStart, headersEnd - headersStart, StandardCharsets.UTF_8);
			int contentStart = headersEnd + 4;
			byte[] end = new byte[delimiter.length + 2];
			end[0] = '\r';
			end[1] = '\n';
			System.arraycopy(delimiter, 0, end, 2, delimiter.length);
			int contentEnd = indexOf(body, end, contentStart);
			if (contentEnd < 0) {
				throw new IllegalArgumentException("a multipart part is cut off (no closing boundary)");
			}
			Matcher name = NAME.matcher(headers);
			Matcher filename = FILENAME.matcher(headers);
			parts.add(new Part(name.find() ? name.group(1) : "", filename.find() ? filename.group(1) : null,
					Arrays.copyOfRange(body, contentStart, contentEnd)));
			at = contentEnd + 2;
		}
	}

	private static int indexOf(byte[] haystack, byte[] needle, int from) {
		outer: for (int i = Math.max(0, from); i <= haystack.length - needle.length; i++) {
			for (int j = 0; j < needle.length; j++) {
				if (haystack[i + j] != needle[j]) {
					continue outer;
				}
			}
			return i;
		}
		return -1;
	}
}
