package io.promptbatch.core.prompt;

import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

/**
 * A full pass over an input file before anything is sent: every record is parsed and checked
 * (including that ids are unique), so that bad input is reported before any request is paid for.
 *
 * @param records how many records will be run
 * @param rejected how many records {@code --skip-invalid} leaves out
 * @param carriedColumns the columns carried to the output, in first-seen order
 * @param assumed what was assumed to read the file (see {@link PromptReader#assumed()}), for the start line
 * @param withoutModel how many of the records run name no model of their own
 * @param firstWithoutModel the line of the first of them, or 0 when every record names its model
 */
public record InputScan(long records, long rejected, List<String> carriedColumns, List<String> assumed,
		long withoutModel, long firstWithoutModel) {

	/**
	 * Reads the whole file.
	 * @throws InputException at the first record that cannot be used (with {@code skipInvalid}, only
	 *     at a problem that makes the rest of the file unreadable)
	 */
	public static InputScan of(Path file, PromptOptions options) {
		return of(file, options, rejected -> {
		});
	}

	/** Reads the whole file, telling {@code rejects} of each record left out. */
	public static InputScan of(Path file, PromptOptions options, Consumer<Rejected> rejects) {
		long[] rejected = new long[1];
		try (PromptReader reader = PromptReader.open(file, options, r -> {
			rejected[0]++;
			rejects.accept(r);
		})) {
			long count = 0;
			long withoutModel = 0;
			long firstWithoutModel = 0;
			Prompt prompt;
			while ((prompt = reader.read()) != null) {
				count++;
				if (prompt.model() == null && withoutModel++ == 0) {
					firstWithoutModel = prompt.line();
				}
			}
			return new InputScan(count, rejected[0], reader.carriedColumns(), reader.assumed(), withoutModel,
					firstWithoutModel);
		}
	}
}
