package io.promptbatch.core.prompt;

import io.promptbatch.core.chat.Message;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** Shared pieces of the CSV and JSONL readers. */
final class InputReaders {

	private InputReaders() {
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
