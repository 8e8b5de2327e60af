package io.promptbatch.core.prompt;

import java.io.IOException;
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
			return new InputException(file, line, "the file is not UTF-8 (it may be GBK or another legacy encoding, "
					+ "as Excel saves Chinese text); convert it, e.g. iconv -f GBK -t UTF-8 in.csv > out.csv, "
					+ "or save as \"CSV UTF-8\"", e);
		}
		return new InputException(file, line, "cannot read the input file (" + e.getMessage() + ")", e);
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
}
