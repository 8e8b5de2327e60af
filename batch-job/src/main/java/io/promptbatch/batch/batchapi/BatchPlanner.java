package io.promptbatch.batch.batchapi;

import io.promptbatch.batch.fanout.RowResolver;
import io.promptbatch.core.chat.ChatRequest;
import io.promptbatch.core.prompt.InputException;
import io.promptbatch.core.prompt.Prompt;
import io.promptbatch.core.prompt.PromptReader;
import io.promptbatch.core.provider.BatchLimits;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.json.JsonMapper;

/**
 * Splits the rows that need a request into parts: one model per part (Kimi's rule), and no part over the provider's
 * limits of bytes and lines. Each row's request is rendered exactly as a live request would be sent (the same
 * {@link RowResolver}), as a Batch API line whose {@code custom_id} is {@code r} and the record number. The plan is
 * written to the ledger as it is made, in one pass and one transaction, a bounded number of lines held at a time;
 * every line is checked on the way: a line over the file size limit, or a setting the model does not let batch
 * requests change, refuses the input with its file and line (exit 2), and so do more parts than the provider stores
 * files for an organisation (Moonshot: 1,000). A refusal rolls the transaction back, so that nothing is recorded (and
 * so nothing uploaded) for an input that is refused.
 */
public final class BatchPlanner {

	private static final JsonMapper JSON = JsonMapper.builder().build();

	/** A batch line before its custom id; with the id, the text between it and the body, and after the body. */
	private static final String LINE_START = "{\"custom_id\":\"";

	private static final String LINE_MIDDLE = "\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":";

	private static final String LINE_END = "}";

	/** The most problems named in one refusal. */
	private static final int MAX_PROBLEMS = 10;

	/** Lines written to the ledger at a time. */
	private static final int FLUSH = 500;

	private final BatchLedger ledger;
	private final BatchLimits limits;
	private final Path input;

	/** A part being filled. */
	private static final class Open {

		final int partNo;
		final String model;
		long bytes;
		long lines;
		final List<BatchLedger.Line> pending = new ArrayList<>();

		Open(int partNo, String model) {
			this.partNo = partNo;
			this.model = model;
		}
	}

	/**
	 * The parts being filled, one per model: a line goes into its model's part, or into a new one when it would take
	 * that part past the provider's bytes or lines; the part it replaces is handed to {@code closing}.
	 */
	private final class Filling {

		private final Map<String, Open> open = new LinkedHashMap<>();
		private final Consumer<Open> closing;
		private int next;

		Filling(int firstPartNo, Consumer<Open> closing) {
			this.next = firstPartNo;
			this.closing = closing;
		}

		/** The part a line of {@code bytes} to {@code model} goes into, counted in it. */
		Open add(String model, long bytes) {
			Open part = open.get(model);
			if (part != null && (part.bytes + bytes > limits.maxBytes() || part.lines + 1 > limits.maxLines())) {
				closing.accept(part);
				part = null;
			}
			if (part == null) {
				part = new Open(next++, model);
				open.put(model, part);
			}
			part.bytes += bytes;
			part.lines++;
			return part;
		}

		/** Closes the parts still open; the number of the next part. */
		int close() {
			open.values().forEach(closing);
			open.clear();
			return next;
		}
	}

	public BatchPlanner(BatchLedger ledger, BatchLimits limits, Path input) {
		this.ledger = ledger;
		this.limits = limits;
		this.input = input;
	}

	/** The line of a batch input file for a request body. */
	public static String batchLine(String customId, String body) {
		return LINE_START + customId + LINE_MIDDLE + body + LINE_END;
	}

	/** The custom id of a record. */
	public static String customId(long recordNumber) {
		return "r" + recordNumber;
	}

	/**
	 * Records the plan, the first round's parts, checking every row on the way.
	 * @param rows the resolved rows of the run's range that need a request, in input order; read once, inside the
	 *     plan's transaction, so that nothing is recorded for an input that is refused
	 * @return the parts planned
	 * @throws InputException naming the file and the lines that cannot go into a batch
	 */
	public int plan(long runId, String tag, Iterable<RowResolver.Resolved> rows) {
		List<String> problems = new ArrayList<>();
		long[] firstLine = { 0, 0 }; // of the first problem, of the first part past the provider's files
		Filling filling = new Filling(1, part -> {
			// once the input is refused, nothing more is written: the transaction is rolled back
			if (problems.isEmpty() && firstLine[1] == 0) {
				flush(runId, part);
				ledger.addPart(runId, part.partNo, tag, part.model, 0, part.lines);
			}
		});
		int[] parts = { 0 };
		ledger.inTransaction(() -> {
			for (RowResolver.Resolved row : rows) {
				long size = lineSize(row);
				String problem = problem(row, size);
				if (problem != null) {
					if (problems.isEmpty()) {
						firstLine[0] = row.prompt().line();
					}
					if (problems.size() < MAX_PROBLEMS) {
						problems.add(problems.isEmpty() ? problem : "line " + row.prompt().line() + ": " + problem);
					}
					continue;
				}
				Open part = filling.add(row.request().model(), size);
				if (part.partNo > limits.maxFiles() && firstLine[1] == 0) {
					firstLine[1] = row.prompt().line();
				}
				if (problems.isEmpty() && firstLine[1] == 0) {
					part.pending.add(new BatchLedger.Line(customId(row.prompt().recordNumber()), row.prompt().recordNumber(),
							row.prompt().line(), row.fingerprint(), new String(row.body(), StandardCharsets.UTF_8)));
					if (part.pending.size() >= FLUSH) {
						flush(runId, part);
					}
				}
			}
			parts[0] = filling.close() - 1;
			if (!problems.isEmpty()) {
				throw new InputException(input, firstLine[0], String.join("; ", problems) + ". Nothing was uploaded.");
			}
			if (firstLine[1] != 0) {
				throw new InputException(input, firstLine[1], tooManyFiles(parts[0]));
			}
		});
		return parts[0];
	}

	/**
	 * Records follow-up parts for lines no batch answered: the same lines (same custom ids and bodies) moved into new
	 * parts of the next round, split the same way.
	 * @return the parts planned
	 */
	public int followUp(long runId, String tag, int round, int firstPartNo, List<BatchLedger.Line> lines) {
		int[] next = { firstPartNo };
		ledger.inTransaction(() -> {
			Filling filling = new Filling(firstPartNo,
					part -> ledger.addPart(runId, part.partNo, tag, part.model, round, part.lines));
			Map<Integer, List<String>> moved = new LinkedHashMap<>();
			for (BatchLedger.Line line : lines) {
				long size = lineSize(line.customId(), line.body().getBytes(StandardCharsets.UTF_8).length);
				String model = JSON.readTree(line.body()).path("model").asString("");
				Open part = filling.add(model, size);
				moved.computeIfAbsent(part.partNo, k -> new ArrayList<>()).add(line.customId());
			}
			next[0] = filling.close();
			moved.forEach((partNo, ids) -> ledger.moveLines(runId, partNo, ids));
		});
		return next[0] - firstPartNo;
	}

	/** The bytes of a row's line in a batch file, its newline included. */
	private static long lineSize(RowResolver.Resolved row) {
		return lineSize(customId(row.prompt().recordNumber()), row.body().length);
	}

	/** The bytes of a line in a batch file, its newline included: the body's, and the wrapper's (ASCII). */
	static long lineSize(String customId, long bodyBytes) {
		return LINE_START.length() + customId.length() + LINE_MIDDLE.length() + bodyBytes + LINE_END.length() + 1L;
	}

	/** Why a run whose first round needs more batch files than the provider stores is refused. */
	private String tooManyFiles(long files) {
		return "the run needs " + files + " batch files, more than the " + limits.maxFiles() + " " + limits.provider()
				+ " stores for an organisation; the records from this line on would not fit. Files already stored there "
				+ "(by other runs, or uploaded by hand) count against the same limit, and how many there are is not known "
				+ "here, so fewer may fit. Split the input into files of fewer records, or run without --batch-api. "
				+ "Nothing was uploaded.";
	}

	private void flush(long runId, Open part) {
		ledger.addLines(runId, part.partNo, List.copyOf(part.pending));
		part.pending.clear();
	}

	/** Why a row whose line is {@code size} bytes cannot go into a batch, or null. */
	private @Nullable String problem(RowResolver.Resolved row, long size) {
		ChatRequest request = row.request();
		List<String> fixed = BatchLimits.fixedSettings(request.model());
		// the body's fields are the request's: its temperature when given, and its other fields
		List<String> set = fixed.stream()
			.filter(f -> f.equals("temperature") ? request.temperature() != null : request.params().containsKey(f))
			.toList();
		if (!set.isEmpty()) {
			return request.model() + " does not let batch requests set " + String.join(", ", set) + " ("
					+ limits.provider() + "'s Batch API refuses them); leave " + (set.size() == 1 ? "it" : "them")
					+ " out of --temperature, --param and the record, or run without --batch-api";
		}
		if (size > limits.maxBytes()) {
			return "the request is " + size + " bytes, more than a whole batch file may hold (" + limits.maxBytes()
					+ " bytes at " + limits.provider() + "); shorten the record, or run without --batch-api";
		}
		return null;
	}

	/** Only the rows whose request is to be sent. */
	static boolean toSend(RowResolver.Resolved row) {
		return row.settled() == null && row.request() != null && row.body() != null && row.fingerprint() != null;
	}

	/**
	 * The rows whose request is to be sent among the next {@code records} of {@code reader}, each resolved as it is
	 * reached; the reader is closed after the last.
	 */
	static Iterator<RowResolver.Resolved> toSend(PromptReader reader, long records, RowResolver resolver) {
		long[] left = { records };
		return new Iterator<>() {

			private RowResolver.@Nullable Resolved next = advance();

			private RowResolver.@Nullable Resolved advance() {
				while (left[0] > 0) {
					Prompt prompt = reader.read();
					if (prompt == null) {
						break;
					}
					left[0]--;
					RowResolver.Resolved row = resolver.resolve(prompt);
					if (toSend(row)) {
						return row;
					}
				}
				reader.close();
				return null;
			}

			@Override
			public boolean hasNext() {
				return next != null;
			}

			@Override
			public RowResolver.Resolved next() {
				RowResolver.Resolved row = next;
				if (row == null) {
					throw new NoSuchElementException();
				}
				next = advance();
				return row;
			}
		};
	}
}
