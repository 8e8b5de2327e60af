package io.promptbatch.core.prompt;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PushbackReader;
import java.io.Reader;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * Reads prompts one record at a time from a {@code .csv} or {@code .jsonl} file, streaming: memory
 * does not grow with the file. Not thread-safe.
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
		boolean csv = name.endsWith(".csv");
		if (!csv && !name.endsWith(".jsonl") && !name.endsWith(".ndjson")) {
			throw new InputException(file, 0, "unknown input format: name the file .csv or .jsonl");
		}
		Reader reader = openUtf8(file);
		PromptReader raw;
		try {
			raw = csv ? new CsvPromptReader(file, reader, options) : new JsonlPromptReader(file, reader, options);
		}
		catch (RuntimeException e) {
			try {
				reader.close();
			}
			catch (IOException ignored) {
				// already failing
			}
			throw e;
		}
		return new ValidatingPromptReader(file, raw, options.skipInvalid(), rejects);
	}

	/** A strict UTF-8 reader that drops a leading byte-order mark. */
	private static Reader openUtf8(Path file) {
		InputStream in;
		try {
			in = Files.newInputStream(file);
		}
		catch (NoSuchFileException e) {
			throw new InputException(file, 0, "input file not found; check the path given to --input");
		}
		catch (IOException e) {
			throw new InputException(file, 0, "cannot read the input file (" + e.getMessage() + ")", e);
		}
		if (Files.isDirectory(file)) {
			throw new InputException(file, 0, "is a directory; --input takes a .csv or .jsonl file");
		}
		CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
			.onMalformedInput(CodingErrorAction.REPORT)
			.onUnmappableCharacter(CodingErrorAction.REPORT);
		PushbackReader reader = new PushbackReader(new InputStreamReader(in, decoder), 1);
		try {
			int first = reader.read();
			if (first != -1 && first != '\uFEFF') {
				reader.unread(first);
			}
		}
		catch (IOException e) {
			throw InputReaders.notUtf8(file, 1, e);
		}
		return reader;
	}
}
