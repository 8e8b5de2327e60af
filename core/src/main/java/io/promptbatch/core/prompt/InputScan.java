package io.promptbatch.core.prompt;

import java.nio.file.Path;
import java.util.List;

/**
 * A full pass over an input file before anything is sent: every record is parsed and checked, so
 * that bad input is reported before any request is paid for.
 *
 * @param records how many records the file holds
 * @param carriedColumns the columns carried to the output, in first-seen order
 */
public record InputScan(long records, List<String> carriedColumns) {

	/**
	 * Reads the whole file.
	 * @throws InputException at the first record that cannot be used
	 */
	public static InputScan of(Path file, PromptOptions options) {
		try (PromptReader reader = PromptReader.open(file, options)) {
			long count = 0;
			while (reader.read() != null) {
				count++;
			}
			return new InputScan(count, reader.carriedColumns());
		}
	}
}
