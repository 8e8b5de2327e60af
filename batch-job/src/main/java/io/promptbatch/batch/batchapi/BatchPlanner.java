package io.promptbatch.batch.batchapi;

import io.promptbatch.batch.fanout.RowResolver;
import io.promptbatch.core.prompt.InputException;
import io.promptbatch.core.provider.BatchLimits;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Splits the rows that need a request into parts: one model per part (Kimi's rule), and no part over the provider's
 * limits of bytes and lines. Each row's request is rendered exactly as a live request would be sent (the same
 * {@link RowResolver}), as a Batch API line whose {@code custom_id} is {@code r} and the record number. Every line is
 * checked before anything is recorded or uploaded: a line over the file size limit, or a setting the model does not
 * let batch requests change, refuses the input with its file and line (exit 2), and so do more parts than the
 * provider stores files for an organisation (Moonshot: 1,000). The plan is written to the ledger
 * as it is made, in one transaction, a bounded number of lines held at a time.
 */
public final class BatchPlanner {

	private static final JsonMapper JSON = JsonMapper.builder().build();

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

	public BatchPlanner(BatchLedger ledger, BatchLimits limits, Path input) {
		this.ledger = ledger;
		this.limits = limits;
		this.input = input;
	}

	/** The line of a batch input file for a request body. */
	public static String batchLine(String customId, String body) {
		return "{\"custom_id\":\"" + customId + "\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":"
				+ body + "}";
	}

	/** The custom id of a record. */
	public static String customId(long recordNumber) {
		return "r" + recordNumber;
	}

	/**
	 * Checks every row, then records the plan: the first round's parts.
	 * @param rows the resolved rows of the run's range that need a request, in input order; read twice (check, then
	 *     record), so that nothing is recorded for an input that is refused
	 * @return the parts planned
	 * @throws InputException naming the file and the lines that cannot go into a batch
	 */
	public int plan(long runId, String tag, Iterable<RowResolver.Resolved> rows) {
		List<String> problems = new ArrayList<>();
		long firstLine = 0;
		// the parts the lines make, split as below, against the provider's limit of files
		Map<String, long[]> filling = new HashMap<>();
		long files = 0;
		long firstLineOver = 0;
		for (RowResolver.Resolved row : rows) {
			String problem = problem(row);
			if (problem != null) {
				if (problems.isEmpty()) {
					firstLine = row.prompt().line();
				}
				if (problems.size() < MAX_PROBLEMS) {
					problems.add(problems.isEmpty() ? problem : "line " + row.prompt().line() + ": " + problem);
				}
				continue;
			}
			long size = lineSize(row);
			long[] part = filling.get(row.request().model());
			if (part == null || part[0] + size > limits.maxBytes() || part[1] + 1 > limits.maxLines()) {
				part = new long[2];
				filling.put(row.request().model(), part);
				files++;
				if (files > limits.maxFiles() && firstLineOver == 0) {
					firstLineOver = row.prompt().line();
				}
			}
			part[0] += size;
			part[1]++;
		}
		if (!problems.isEmpty()) {
			throw new InputException(input, firstLine, String.join("; ", problems) + ". Nothing was uploaded.");
		}
		if (files > limits.maxFiles()) {
			throw new InputException(input, firstLineOver, tooManyFiles(files));
		}
		int[] parts = { 0 };
		ledger.inTransaction(() -> {
			Map<String, Open> open = new LinkedHashMap<>();
			for (RowResolver.Resolved row : rows) {
				String body = new String(row.body(), StandardCharsets.UTF_8);
				String id = customId(row.prompt().recordNumber());
				long size = lineSize(row);
				String model = row.request().model();
				Open part = open.get(model);
				if (part != null && (part.bytes + size > limits.maxBytes() || part.lines + 1 > limits.maxLines())) {
					close(runId, tag, part);
					part = null;
				}
				if (part == null) {
					part = new Open(++parts[0], model);
					open.put(model, part);
				}
				part.bytes += size;
				part.lines++;
				part.pending.add(new BatchLedger.Line(id, row.prompt().recordNumber(), row.prompt().line(),
						row.fingerprint(), body));
				if (part.pending.size() >= FLUSH) {
					flush(runId, part);
				}
			}
			open.values().forEach(p -> close(runId, tag, p));
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
			Map<String, Open> open = new LinkedHashMap<>();
			Map<Integer, List<String>> moved = new LinkedHashMap<>();
			for (BatchLedger.Line line : lines) {
				long size = batchLine(line.customId(), line.body()).getBytes(StandardCharsets.UTF_8).length + 1L;
				String model = JSON.readTree(line.body()).path("model").asString("");
				Open part = open.get(model);
				if (part != null && (part.bytes + size > limits.maxBytes() || part.lines + 1 > limits.maxLines())) {
					ledger.addPart(runId, part.partNo, tag, part.model, round, part.lines);
					part = null;
				}
				if (part == null) {
					part = new Open(next[0]++, model);
					open.put(model, part);
				}
				part.bytes += size;
				part.lines++;
				moved.computeIfAbsent(part.partNo, k -> new ArrayList<>()).add(line.customId());
			}
			open.values().forEach(p -> ledger.addPart(runId, p.partNo, tag, p.model, round, p.lines));
			moved.forEach((partNo, ids) -> ledger.moveLines(runId, partNo, ids));
		});
		return next[0] - firstPartNo;
	}

	/** The bytes of a row's line in a batch file, its newline included. */
	private static long lineSize(RowResolver.Resolved row) {
		return batchLine(customId(row.prompt().recordNumber()), new String(row.body(), StandardCharsets.UTF_8))
			.getBytes(StandardCharsets.UTF_8).length + 1L;
	}

	/** Why a run whose first round needs more batch files than the provider stores is refused. */
	private String tooManyFiles(long files) {
		return "the run needs " + files + " batch files, more than the " + limits.maxFiles() + " " + limits.provider()
				+ " stores for an organisation; the records from this line on would not fit. Files already stored there "
				+ "(by other runs, or uploaded by hand) count against the same limit, and how many there are is not known "
				+ "here, so fewer may fit. Split the input into files of fewer records, or run without --batch-api. "
				+ "Nothing was uploaded.";
	}

	private void close(long runId, String tag, Open part) {
		flush(runId, part);
		ledger.addPart(runId, part.partNo, tag, part.model, 0, part.lines);
	}

	private void flush(long runId, Open part) {
		ledger.addLines(runId, part.partNo, List.copyOf(part.pending));
		part.pending.clear();
	}

	/** Why a row cannot go into a batch, or null. */
	private @Nullable String problem(RowResolver.Resolved row) {
		String body = new String(row.body(), StandardCharsets.UTF_8);
		String model = row.request().model();
		List<String> fixed = BatchLimits.fixedSettings(model);
		if (!fixed.isEmpty()) {
			JsonNode fields = JSON.readTree(body);
			List<String> set = fixed.stream().filter(fields::has).toList();
			if (!set.isEmpty()) {
				return model + " does not let batch requests set " + String.join(", ", set) + " (" + limits.provider()
						+ "'s Batch API refuses them); leave " + (set.size() == 1 ? "it" : "them") + " out of --temperature, "
						+ "--param and the record, or run without --batch-api";
			}
		}
		long size = lineSize(row);
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
}
