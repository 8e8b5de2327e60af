package io.promptbatch.core.prompt;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * Reads prompts one record at a time from a {@code .csv} (or tab-separated {@code .tsv}) or {@code .jsonl}
 * file, streaming: memory does not grow with the file. Not thread-safe.
 */
public interface PromptReader extends AutoCloseable {

	/**
	 * The next record, or null at the end of the file.
	 * @throws InputException when the record cannot be used; the message names file and line
	 */
	@Nullable Prompt read();

	/** Skips {@code count} (valid) records. Returns how many were skipped. */
	default long skip(long count) {
		long skipped = 0;
		while (skipped < count && read() != null) {
			skipped++;
		}
		return skipped;
	}

	/** The columns carried to the output that are known so far (all of them for CSV). */
	List<String> carriedColumns();

	/**
	 * What was assumed to read the file, for the run's start line: an encoding other than UTF-8 taken from a
	 * byte-order mark ("UTF-16LE (byte-order mark)"), a CSV delimiter other than the extension's ("';'-separated").
	 * Empty for a plain UTF-8 file.
	 */
	default List<String> assumed() {
		return List.of();
	}

	/**
	 * The id the record last read names for itself ({@code id}, an OpenAI Batch line's {@code custom_id}),
	 * when it could be read, even if {@link #read()} then refused the record; null when it names none.
	 */
	default @Nullable String lastRecordId() {
		return null;
	}

	@Override
	void close();

	/** Opens a reader chosen by the file's extension; left-out records are not reported. */
	static PromptReader open(Path file, PromptOptions options) {
		return open(file, options, rejected -> {
		});
	}

	/**
	 * Opens a reader chosen by the file's extension, checking ids for uniqueness.
	 * @param rejects told of each record left out when {@code options.skipInvalid()}
	 */
	static PromptReader open(Path file, PromptOptions options, java.util.function.Consumer<Rejected> rejects) {
		String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
		boolean tsv = name.endsWith(".tsv");
		boolean csv = tsv || name.endsWith(".csv");
		if (!csv && !name.endsWith(".jsonl") && !name.endsWith(".ndjson")) {
			throw new InputException(file, 0, "unknown input format: name the file .csv, .tsv or .jsonl");
		}
		InputText text = InputText.open(file, csv ? "CSV" : "JSON Lines");
		PromptReader raw;
		try {
			raw = csv ? new CsvPromptReader(file, text, options, tsv) : new JsonlPromptReader(file, text, options);
		}
		catch (RuntimeException e) {
			try {
				text.reader().close();
			}
			catch (IOException ignored) {
				// already failing
			}
			throw e;
		}
		return new ValidatingPromptReader(file, raw, options.skipInvalid(), rejects);
	}
}
