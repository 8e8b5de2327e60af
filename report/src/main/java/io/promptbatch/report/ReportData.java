package io.promptbatch.report;

import io.promptbatch.core.prompt.Prompt;
import io.promptbatch.core.prompt.PromptReader;
import io.promptbatch.core.stats.LatencyHistogram;
import io.promptbatch.core.stats.RowTally;
import java.io.IOException;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The data behind each section of a run's page. All failures and all rows scored 0 are kept (up to a
 * limit each), and an evenly spaced sample of the other rows, so that the page of a large run stays
 * small; the page says what was left out.
 *
 * @param info the run's header
 * @param totals sums over all rows
 * @param latency latencies of the rows that were sent (not those answered from the cache)
 * @param models sums per model, by name
 * @param failures failed rows by kind (status and code), most frequent first, with a few examples each
 * @param answersPerSecond answers recorded per second of the run, by epoch second
 * @param rows the rows shown in the table, in output order
 * @param selection what the table shows of all rows
 */
public record ReportData(RunInfo info, Totals totals, LatencyHistogram latency, Map<String, ModelTotals> models,
		Map<String, FailureGroup> failures, SortedMap<Long, Long> answersPerSecond, List<ShownRow> rows,
		Selection selection) {

	/** Failed rows shown in the table at most. */
	public static final int MAX_FAILED_ROWS = 2000;

	/** Rows scored 0 shown at most. */
	public static final int MAX_ZERO_SCORE_ROWS = 2000;

	/** Other rows shown at most, evenly spaced. */
	public static final int MAX_OTHER_ROWS = 1000;

	/** Examples kept per failure kind. */
	public static final int EXAMPLES_PER_FAILURE = 3;

	/** Characters of a prompt, answer or reasoning shown; the rest is cut with a note. */
	public static final int MAX_TEXT = 2000;

	/**
	 * Sums over all rows of the output.
	 *
	 * @param passed rows whose first choice passed (pass@1)
	 * @param passedAny rows of which any choice passed (pass@n)
	 * @param mostChoices the most choices a row had (n)
	 */
	public record Totals(long rows, long ok, long failed, long cached, long promptTokens, long completionTokens,
			BigDecimal costUsd, long unpricedRows, long retries, long scored, long passed, long passedAny,
			int mostChoices) {

		/** Sums of rows of one choice each. */
		public Totals(long rows, long ok, long failed, long cached, long promptTokens, long completionTokens,
				BigDecimal costUsd, long unpricedRows, long retries, long scored, long passed) {
			this(rows, ok, failed, cached, promptTokens, completionTokens, costUsd, unpricedRows, retries, scored, passed,
					passed, 1);
		}
	}

	/**
	 * Sums over the rows of one model.
	 *
	 * @param passed rows whose first choice passed (pass@1)
	 * @param passedAny rows of which any choice passed (pass@n)
	 * @param mostChoices the most choices a row had (n)
	 */
	public record ModelTotals(long rows, long ok, long failed, long promptTokens, long completionTokens,
			BigDecimal costUsd, long scored, long passed, long passedAny, int mostChoices) {

		/** Sums of rows of one choice each. */
		public ModelTotals(long rows, long ok, long failed, long promptTokens, long completionTokens, BigDecimal costUsd,
				long scored, long passed) {
			this(rows, ok, failed, promptTokens, completionTokens, costUsd, scored, passed, passed, 1);
		}
	}

	/** Failed rows of one kind, with the first few as examples. */
	public record FailureGroup(long count, List<Example> examples) {
	}

	/** One failed row: its id and its error. */
	public record Example(String id, String error) {
	}

	/** A row of the table: the output row and its prompt (the last user message), both cut to {@link #MAX_TEXT}. */
	public record ShownRow(ResultRow row, String prompt) {
	}

	/**
	 * What the table shows.
	 *
	 * @param failedShown failed rows shown (all of them unless more than {@link #MAX_FAILED_ROWS})
	 * @param zeroScoreShown rows scored 0 shown
	 * @param othersShown other rows shown
	 * @param othersTotal other rows in all
	 * @param stride one other row in this many is shown
	 * @param promptsNote why prompts are missing, or null when they are shown
	 */
	public record Selection(long failedShown, long zeroScoreShown, long othersShown, long othersTotal, long stride,
			@Nullable String promptsNote) {

		public long shown() {
			return failedShown + zeroScoreShown + othersShown;
		}
	}

	/**
	 * The run's status as the page's badge says it.
	 *
	 * @param text what the badge reads
	 * @param tone its colour: {@code completed} (all rows ok), {@code warning} (completed with failed rows),
	 * {@code failed}, {@code stopped}, or the status itself for any other
	 */
	public record StatusBadge(String text, String tone) {
	}

	/**
	 * The badge for the run's status: a run that completed with failed rows (exit code 3) is not shown as a plain
	 * success.
	 */
	public StatusBadge statusBadge() {
		String status = info.status().toLowerCase(java.util.Locale.ROOT);
		if ("completed".equals(status) && totals.failed() > 0) {
			return new StatusBadge("completed with " + totals.failed() + (totals.failed() == 1 ? " failed row"
					: " failed rows"), "warning");
		}
		return new StatusBadge(status, status);
	}

	/** Opens the run's output, for each pass over it. */
	@FunctionalInterface
	public interface OutputSource {
		OutputRows open() throws IOException;
	}

	/**
	 * Reads the output twice: once for the sums, once to choose the rows shown and join them with their
	 * prompts.
	 * @param prompts opens the run's input with the run's options, or null when it cannot be read
	 * @param answersPerSecond answers recorded per epoch second
	 */
	public static ReportData of(RunInfo info, OutputSource output, @Nullable Supplier<PromptReader> prompts,
			SortedMap<Long, Long> answersPerSecond) throws IOException {
		Sums sums = new Sums();
		try (OutputRows rows = output.open()) {
			rows.forEachRemaining(sums::add);
		}
		long zeroScores = sums.scored - sums.passed;
		long others = sums.tally.rows() - sums.tally.failed() - zeroScores;
		long stride = Math.max(1, (others + MAX_OTHER_ROWS - 1) / MAX_OTHER_ROWS);
		List<ShownRow> shown = new ArrayList<>();
		long failedShown = 0;
		long zeroShown = 0;
		long othersShown = 0;
		long otherIndex = 0;
		String promptsNote = prompts == null ? "the input file could not be read: prompts are not shown" : null;
		PromptReader reader = null;
		try (OutputRows rows = output.open()) {
			if (prompts != null) {
				try {
					reader = prompts.get();
				}
				catch (RuntimeException e) {
					promptsNote = "the input file could not be read (" + e.getMessage() + "): prompts are not shown";
				}
			}
			boolean mismatch = false;
			while (rows.hasNext()) {
				ResultRow row = rows.next();
				String prompt = "";
				if (reader != null && !mismatch) {
					Prompt p = reader.read();
					if (p != null && p.id().equals(row.id())) {
						prompt = p.lastUserContent();
					}
					else {
						mismatch = true;
						promptsNote = "the input no longer matches the output from row " + row.id()
								+ " on: prompts from there on are not shown";
					}
				}
				boolean keep;
				if (!row.ok()) {
					keep = failedShown < MAX_FAILED_ROWS;
					failedShown += keep ? 1 : 0;
				}
				else if (row.score() != null && row.score() == 0) {
					keep = zeroShown < MAX_ZERO_SCORE_ROWS;
					zeroShown += keep ? 1 : 0;
				}
				else {
					keep = otherIndex++ % stride == 0 && othersShown < MAX_OTHER_ROWS;
					othersShown += keep ? 1 : 0;
				}
				if (keep) {
					shown.add(new ShownRow(cut(row), cut(prompt)));
				}
			}
		}
		finally {
			if (reader != null) {
				reader.close();
			}
		}
		return new ReportData(info, sums.totals(), sums.tally.latency(), sums.models(), sums.failures(), answersPerSecond,
				shown, new Selection(failedShown, zeroShown, othersShown, others, stride, promptsNote));
	}

	private static ResultRow cut(ResultRow r) {
		return new ResultRow(r.id(), r.ok(), r.model(), cutOrNull(r.answer()), cutOrNull(r.reasoning()),
				r.promptTokens(), r.completionTokens(), r.cost(), r.latencyMillis(), r.attempts(), cutOrNull(r.error()),
				r.errorGroup(), r.cached(), r.score(), cutOrNull(r.expected()));
	}

	private static @Nullable String cutOrNull(@Nullable String text) {
		return text == null ? null : cut(text);
	}

	/** The text, or its first {@link #MAX_TEXT} characters and a note of how long it was. */
	static String cut(String text) {
		if (text.length() <= MAX_TEXT) {
			return text;
		}
		return text.substring(0, MAX_TEXT) + " [... cut here: " + text.length() + " characters in all]";
	}

	private static final class Sums {

		final RowTally tally = new RowTally();
		long scored;
		long passed;
		long passedAny;
		int mostChoices = 1;
		final Map<String, RowTally> modelTallies = new TreeMap<>();
		final Map<String, long[]> modelScores = new TreeMap<>();
		final Map<String, Long> failureCounts = new LinkedHashMap<>();
		final Map<String, List<Example>> examples = new LinkedHashMap<>();

		void add(ResultRow r) {
			String model = r.model().isEmpty() ? "(unknown)" : r.model();
			count(tally, r);
			count(modelTallies.computeIfAbsent(model, k -> new RowTally()), r);
			// scored, passed (pass@1), passed any choice (pass@n), most choices
			long[] modelScore = modelScores.computeIfAbsent(model, k -> new long[] { 0, 0, 0, 1 });
			if (r.score() != null) {
				int any = r.scoreAny() == null ? r.score() : r.scoreAny();
				scored++;
				passed += r.score();
				passedAny += any;
				mostChoices = Math.max(mostChoices, r.choices());
				modelScore[0]++;
				modelScore[1] += r.score();
				modelScore[2] += any;
				modelScore[3] = Math.max(modelScore[3], r.choices());
			}
			if (!r.ok()) {
				String group = r.errorGroup() == null ? "unknown" : r.errorGroup();
				failureCounts.merge(group, 1L, Long::sum);
				List<Example> list = examples.computeIfAbsent(group, g -> new ArrayList<>());
				if (list.size() < EXAMPLES_PER_FAILURE) {
					list.add(new Example(r.id(), r.error() == null ? "" : cut(r.error())));
				}
			}
		}

		private static void count(RowTally tally, ResultRow r) {
			tally.add(r.ok(), r.cached(), r.promptTokens(), r.completionTokens(), r.cost(), r.attempts(),
					r.latencyMillis());
		}

		Totals totals() {
			return new Totals(tally.rows(), tally.ok(), tally.failed(), tally.cached(), tally.promptTokens(),
					tally.completionTokens(), tally.cost(), tally.unpriced(), tally.retries(), scored, passed, passedAny,
					mostChoices);
		}

		Map<String, ModelTotals> models() {
			Map<String, ModelTotals> out = new LinkedHashMap<>();
			modelTallies.forEach((model, t) -> out.put(model, new ModelTotals(t.rows(), t.ok(), t.failed(),
					t.promptTokens(), t.completionTokens(), t.cost(), modelScores.get(model)[0],
					modelScores.get(model)[1], modelScores.get(model)[2], (int) modelScores.get(model)[3])));
			return out;
		}

		Map<String, FailureGroup> failures() {
			Map<String, FailureGroup> out = new LinkedHashMap<>();
			failureCounts.entrySet()
				.stream()
				.sorted(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder()))
				.forEach(e -> out.put(e.getKey(), new FailureGroup(e.getValue(), List.copyOf(examples.get(e.getKey())))));
			return out;
		}
	}
}
