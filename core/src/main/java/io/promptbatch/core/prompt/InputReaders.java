package io.promptbatch.core.prompt;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** Shared pieces of the CSV and JSONL readers. */
final class InputReaders {

	private InputReaders() {
	}

	static InputException notUtf8(Path file, long line, IOException e) {
		if (e instanceof CharacterCodingException) {
			// readers decode ahead of the record they parse: find the line of the first bad byte itself
			long bad = firstLineNotUtf8(file);
			return new InputException(file, bad > 0 ? bad : line, "the file is not UTF-8 (it may be GBK or another legacy encoding, "
					+ "as Excel saves Chinese text); convert it, e.g. iconv -f GBK -t UTF-8 in.csv > out.csv, "
					+ "or save as \"CSV UTF-8\"", e);
		}
		return new InputException(file, line, "cannot read the input file (" + e.getMessage() + ")", e);
	}

	/** The line of the first byte sequence that is not UTF-8, or 0 when there is none. */
	static long firstLineNotUtf8(Path file) {
		try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
			long line = 1;
			int continuation = 0;
			int b;
			while ((b = in.read()) != -1) {
				if (continuation > 0) {
					if ((b & 0xC0) != 0x80) {
						return line;
					}
					continuation--;
				}
				else if (b == '\n') {
					line++;
				}
				else if (b >= 0x80) {
					if (b >= 0xC2 && b <= 0xDF) {
						continuation = 1;
					}
					else if (b >= 0xE0 && b <= 0xEF) {
						continuation = 2;
					}
					else if (b >= 0xF0 && b <= 0xF4) {
						continuation = 3;
					}
					else {
						return line;
					}
				}
			}
			return continuation > 0 ? line : 0;
		}
		catch (IOException e) {
			return 0;
		}
	}

	static List<Message> messages(Path file, long line, @Nullable String system, String user) {
		if (user.isBlank()) {
			throw InputException.record(file, line, "the prompt is empty; fill it in or remove the record");
		}
		List<Message> messages = new ArrayList<>(2);
		if (system != null && !system.isBlank()) {
			messages.add(Message.system(system));
		}
		messages.add(Message.user(user));
		return messages;
	}

	/** A record's temperature, or null when empty. */
	static @Nullable Double temperature(Path file, long line, @Nullable String text) {
		if (text == null || text.isBlank()) {
			return null;
		}
		try {
			double t = Double.parseDouble(text.strip());
			if (t < 0 || Double.isNaN(t) || Double.isInfinite(t)) {
				throw new NumberFormatException();
			}
			return t;
		}
		catch (NumberFormatException e) {
			throw InputException.record(file, line, "temperature '" + text + "' is not a number of 0 or more; "
					+ "fix it or leave it empty to use --temperature");
		}
	}

	/** A record's completion token limit, or null when empty. */
	static @Nullable Integer maxTokens(Path file, long line, @Nullable String text) {
		if (text == null || text.isBlank()) {
			return null;
		}
		try {
			int n = Integer.parseInt(text.strip());
			if (n < 1) {
				throw new NumberFormatException();
			}
			return n;
		}
		catch (NumberFormatException e) {
			throw InputException.record(file, line, "max_tokens '" + text + "' is not a whole number of 1 or more; "
					+ "fix it or leave it empty to use --max-tokens");
		}
	}
}
