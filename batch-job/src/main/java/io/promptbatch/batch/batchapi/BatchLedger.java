package io.promptbatch.batch.batchapi;

import io.promptbatch.batch.state.StateSchema;
import io.promptbatch.core.client.batchapi.Batch;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.RowCallbackHandler;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The state database's record of a run's batches ({@code PB_BATCH_PART}, {@code PB_BATCH_LINE}): the plan (which
 * row's request is in which part, recorded whole before the first upload) and each external step of each part,
 * recorded before its call ({@link Step#UPLOADING}, {@link Step#CREATING}) and after it (the file's id, the batch's id,
 * its status, collected). What a restart does is decided from it ({@link Recovery}).
 */
public final class BatchLedger {

	/** Where a part is: each step is written before the call it names and replaced after it. */
	public enum Step {
		/** In the plan; nothing sent. */
		PLANNED,
		/** The upload was started; its file id is not known (the answer may have been lost). */
		UPLOADING,
		/** The file is at the provider, its id recorded. */
		UPLOADED,
		/** The batch's creation was started; its id is not known (the answer may have been lost). */
		CREATING,
		/** The batch exists, its id recorded. */
		CREATED,
		/** The batch ended and its results are in the journal and the lines' outcomes. */
		COLLECTED,
		/** The provider refused the batch's file (validation); the run cannot go on with this input. */
		REFUSED
	}

	/** What became of a line. */
	public enum Outcome {
		/** Answered: the answer is in the journal. */
		OK,
		/** Refused for itself (400, 404, content filter): a failed row. */
		FAILED,
		/** Not answered for the provider's reasons (5xx, expired, cancelled): for a follow-up batch. */
		RETRY
	}

	/**
	 * One part of a run: one file, one batch, one model.
	 * @param tag names the run at the provider (file names, batch metadata), unique across state directories
	 * @param round 0 for the first batches, 1 and up for follow-ups of lines the provider did not answer
	 * @param plannedAt when the part was planned, epoch seconds: its batch cannot be older
	 */
	public record Part(long runId, int partNo, String tag, String model, int round, long lines, Step step,
			@Nullable String fileId, @Nullable String batchId, @Nullable String status, @Nullable String outputFileId,
			@Nullable String errorFileId, long plannedAt) {

		/** The file's name at the provider: names the run and the part, so that it can be found again. */
		public String filename() {
			return tag + "-part-" + partNo + ".jsonl";
		}

		/** The batch's metadata: names the run and the part, so that it can be found again. */
		public Map<String, String> metadata() {
			return Map.of(RUN_KEY, tag, PART_KEY, Integer.toString(partNo));
		}
	}

	/**
	 * One row's request in a part.
	 * @param customId the line's {@code custom_id}: {@code r} and the record number
	 * @param recordNo the record's 1-based number in the input
	 * @param lineNo the input line where the record starts
	 * @param body the request body, exactly as a live request would send it
	 */
	public record Line(String customId, long recordNo, long lineNo, String fingerprint, String body) {
	}

	/**
	 * A line's keys, without its request body: what reading a part's results needs.
	 * @param customId the line's {@code custom_id}
	 * @param lineNo the input line where the record starts
	 * @param fingerprint the journal's key of the line's request
	 */
	public record Key(String customId, long lineNo, String fingerprint) {
	}

	/** The batch metadata key that names the run. */
	public static final String RUN_KEY = "promptbatch_run";

	/** The batch metadata key that names the part. */
	public static final String PART_KEY = "promptbatch_part";

	private final JdbcTemplate jdbc;
	private final TransactionTemplate transactions;

	public BatchLedger(JdbcTemplate jdbc, PlatformTransactionManager transactionManager) {
		this.jdbc = jdbc;
		this.transactions = new TransactionTemplate(transactionManager);
	}

	/** Runs {@code work} in one transaction: a plan is recorded whole or not at all. */
	public void inTransaction(Runnable work) {
		transactions.executeWithoutResult(status -> work.run());
	}

	/** The run's tag, when its plan is recorded. */
	public Optional<String> tag(long runId) {
		List<String> tags = jdbc.queryForList("SELECT TAG FROM PB_BATCH_PART WHERE RUN_ID = ? ORDER BY PART_NO LIMIT 1",
				String.class, runId);
		return tags.isEmpty() ? Optional.empty() : Optional.of(tags.get(0));
	}

	/** Adds a part to the plan (in the plan's transaction). */
	public void addPart(long runId, int partNo, String tag, String model, int round, long lines) {
		Timestamp now = now();
		jdbc.update("INSERT INTO PB_BATCH_PART (RUN_ID, PART_NO, TAG, MODEL, ROUND_NO, LINES, STEP, PLANNED_AT, "
				+ "UPDATED_AT) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", runId, partNo, tag, model, round, lines,
				Step.PLANNED.name(), now, now);
	}

	/** Adds lines to a part (in the plan's transaction). */
	public void addLines(long runId, int partNo, List<Line> lines) {
		jdbc.batchUpdate("INSERT INTO PB_BATCH_LINE (RUN_ID, CUSTOM_ID, PART_NO, RECORD_NO, LINE_NO, FINGERPRINT, BODY) "
				+ "VALUES (?, ?, ?, ?, ?, ?, ?)", lines, 500, (ps, l) -> {
					ps.setLong(1, runId);
					ps.setString(2, l.customId());
					ps.setInt(3, partNo);
					ps.setLong(4, l.recordNo());
					ps.setLong(5, l.lineNo());
					ps.setString(6, l.fingerprint());
					ps.setString(7, l.body());
				});
	}

	/** Moves lines into a follow-up part, their outcome cleared (in the plan's transaction). */
	public void moveLines(long runId, int partNo, List<String> customIds) {
		jdbc.batchUpdate("UPDATE PB_BATCH_LINE SET PART_NO = ?, OUTCOME = NULL WHERE RUN_ID = ? AND CUSTOM_ID = ?",
				customIds, 500, (ps, id) -> {
					ps.setInt(1, partNo);
					ps.setLong(2, runId);
					ps.setString(3, id);
				});
	}

	/** The run's parts in order. */
	public List<Part> parts(long runId) {
		return jdbc.query("SELECT RUN_ID, PART_NO, TAG, MODEL, ROUND_NO, LINES, STEP, FILE_ID, BATCH_ID, STATUS, "
				+ "OUTPUT_FILE_ID, ERROR_FILE_ID, PLANNED_AT FROM PB_BATCH_PART WHERE RUN_ID = ? ORDER BY PART_NO", BatchLedger::part,
				runId);
	}

	public Part part(long runId, int partNo) {
		return jdbc.queryForObject("SELECT RUN_ID, PART_NO, TAG, MODEL, ROUND_NO, LINES, STEP, FILE_ID, BATCH_ID, STATUS, "
				+ "OUTPUT_FILE_ID, ERROR_FILE_ID, PLANNED_AT FROM PB_BATCH_PART WHERE RUN_ID = ? AND PART_NO = ?", BatchLedger::part,
				runId, partNo);
	}

	private static Part part(ResultSet rs, int row) throws SQLException {
		return new Part(rs.getLong(1), rs.getInt(2), rs.getString(3), rs.getString(4), rs.getInt(5), rs.getLong(6),
				Step.valueOf(rs.getString(7)), rs.getString(8), rs.getString(9), rs.getString(10), rs.getString(11),
				rs.getString(12), rs.getTimestamp(13).getTime() / 1000);
	}

	/** Records a step about to be taken, or one taken that needs no id. */
	public void step(long runId, int partNo, Step step) {
		jdbc.update("UPDATE PB_BATCH_PART SET STEP = ?, UPDATED_AT = ? WHERE RUN_ID = ? AND PART_NO = ?", step.name(),
				now(), runId, partNo);
	}

	/** Records the part's file at the provider. */
	public void uploaded(long runId, int partNo, String fileId) {
		jdbc.update("UPDATE PB_BATCH_PART SET STEP = ?, FILE_ID = ?, UPDATED_AT = ? WHERE RUN_ID = ? AND PART_NO = ?",
				Step.UPLOADED.name(), fileId, now(), runId, partNo);
	}

	/** Records the part's batch at the provider, and its status. */
	public void created(long runId, int partNo, Batch batch) {
		jdbc.update("UPDATE PB_BATCH_PART SET STEP = ?, BATCH_ID = ?, STATUS = ?, UPDATED_AT = ? WHERE RUN_ID = ? "
				+ "AND PART_NO = ?", Step.CREATED.name(), batch.id(), batch.status(), now(), runId, partNo);
	}

	/** Records a batch's latest status and result files. */
	public void status(long runId, int partNo, Batch batch) {
		jdbc.update("UPDATE PB_BATCH_PART SET STATUS = ?, OUTPUT_FILE_ID = ?, ERROR_FILE_ID = ?, UPDATED_AT = ? "
				+ "WHERE RUN_ID = ? AND PART_NO = ?", batch.status(), batch.outputFileId(), batch.errorFileId(), now(),
				runId, partNo);
	}

	/** The part's lines in input order, one at a time (the whole part is never held). */
	public void lines(long runId, int partNo, Consumer<Line> each) {
		jdbc.query("SELECT CUSTOM_ID, RECORD_NO, LINE_NO, FINGERPRINT, BODY FROM PB_BATCH_LINE WHERE RUN_ID = ? "
				+ "AND PART_NO = ? ORDER BY RECORD_NO", (ResultSet rs) -> {
					each.accept(new Line(rs.getString(1), rs.getLong(2), rs.getLong(3), rs.getString(4), rs.getString(5)));
				}, runId, partNo);
	}

	/** The keys of the part's lines in input order, one at a time, their request bodies not read. */
	public void keys(long runId, int partNo, Consumer<Key> each) {
		jdbc.query("SELECT CUSTOM_ID, LINE_NO, FINGERPRINT FROM PB_BATCH_LINE WHERE RUN_ID = ? AND PART_NO = ? "
				+ "ORDER BY RECORD_NO", (ResultSet rs) -> {
					each.accept(new Key(rs.getString(1), rs.getLong(2), rs.getString(3)));
				}, runId, partNo);
	}

	/** Records what became of lines: {@code errors} by custom id, as {@link LineError#json()} (null when answered). */
	public void outcomes(long runId, Outcome outcome, Map<String, @Nullable String> errors) {
		jdbc.batchUpdate("UPDATE PB_BATCH_LINE SET OUTCOME = ?, ERROR = ? WHERE RUN_ID = ? AND CUSTOM_ID = ?",
				List.copyOf(errors.entrySet()), 500, (ps, e) -> {
					ps.setString(1, outcome.name());
					ps.setString(2, e.getValue());
					ps.setLong(3, runId);
					ps.setString(4, e.getKey());
				});
	}

	/** The lines of collected parts that no batch answered, for a follow-up batch: those to retry and those not seen. */
	public List<Line> unanswered(long runId) {
		return jdbc.query("SELECT L.CUSTOM_ID, L.RECORD_NO, L.LINE_NO, L.FINGERPRINT, L.BODY FROM PB_BATCH_LINE L JOIN "
				+ "PB_BATCH_PART P ON P.RUN_ID = L.RUN_ID AND P.PART_NO = L.PART_NO WHERE L.RUN_ID = ? AND P.STEP = ? "
				+ "AND (L.OUTCOME IS NULL OR L.OUTCOME = ?) ORDER BY L.RECORD_NO", (rs, i) -> new Line(rs.getString(1),
						rs.getLong(2), rs.getLong(3), rs.getString(4), rs.getString(5)), runId, Step.COLLECTED.name(),
				Outcome.RETRY.name());
	}

	/** Why the batches did not answer a request (a line's recorded error), when they did not. */
	public Optional<String> error(long runId, String fingerprint) {
		List<String> found = jdbc.queryForList("SELECT ERROR FROM PB_BATCH_LINE WHERE RUN_ID = ? AND FINGERPRINT = ? "
				+ "AND ERROR IS NOT NULL LIMIT 1", String.class, runId, fingerprint);
		return found.isEmpty() ? Optional.empty() : Optional.of(found.get(0));
	}

	/**
	 * Whether a fingerprint is that of one of the run's requests that none of its batches answered (refused, to try
	 * again, or not seen): the rows {@code --batch-fallback live} sends live. Read once per step, instead of a look per
	 * row, and kept as the sorted {@linkplain StateSchema#fingerprintKey 64-bit keys} of the fingerprints (8 bytes a
	 * line, not a string each, so a million such lines take 8 MB). Two fingerprints sharing a key (a 64-bit collision)
	 * would only change which price, live or batch, a row is charged.
	 */
	public Predicate<String> notAnsweredByBatch(long runId) {
		// a request asked by two records is answered when either of its lines is
		Keys keys = new Keys();
		jdbc.query("SELECT L.FINGERPRINT FROM PB_BATCH_LINE L WHERE L.RUN_ID = ? AND (L.OUTCOME IS NULL OR L.OUTCOME "
				+ "<> ?) AND NOT EXISTS (SELECT 1 FROM PB_BATCH_LINE A WHERE A.RUN_ID = L.RUN_ID AND A.FINGERPRINT = "
				+ "L.FINGERPRINT AND A.OUTCOME = ?)", keys, runId, Outcome.OK.name(), Outcome.OK.name());
		long[] sorted = keys.sorted();
		return fingerprint -> Arrays.binarySearch(sorted, StateSchema.fingerprintKey(fingerprint)) >= 0;
	}

	/** The fingerprint keys of the rows read, in an array that grows as they come. */
	private static final class Keys implements RowCallbackHandler {

		private long[] keys = new long[64];
		private int size;

		@Override
		public void processRow(ResultSet rs) throws SQLException {
			if (size == keys.length) {
				keys = Arrays.copyOf(keys, size * 2);
			}
			keys[size++] = StateSchema.fingerprintKey(rs.getString(1));
		}

		long[] sorted() {
			long[] sorted = Arrays.copyOf(keys, size);
			Arrays.sort(sorted);
			return sorted;
		}
	}

	/** Lines of the run by outcome (null: none yet). */
	public long count(long runId, @Nullable Outcome outcome) {
		Long n = outcome == null
				? jdbc.queryForObject("SELECT COUNT(*) FROM PB_BATCH_LINE WHERE RUN_ID = ? AND OUTCOME IS NULL", Long.class,
						runId)
				: jdbc.queryForObject("SELECT COUNT(*) FROM PB_BATCH_LINE WHERE RUN_ID = ? AND OUTCOME = ?", Long.class,
						runId, outcome.name());
		return n == null ? 0 : n;
	}

	/** The runs with parts whose batches may still be running at the provider, newest first. */
	public List<Long> runsWithOpenBatches() {
		return jdbc.queryForList("SELECT DISTINCT RUN_ID FROM PB_BATCH_PART WHERE STEP IN (?, ?) ORDER BY RUN_ID DESC",
				Long.class, Step.CREATED.name(), Step.CREATING.name());
	}

	/** Records that the user cancelled the run's batches: lines they did not answer get no follow-up. */
	public void recordCancel(long runId) {
		if (!cancelRequested(runId)) {
			jdbc.update("INSERT INTO PB_BATCH_CANCEL (RUN_ID, REQUESTED_AT) VALUES (?, ?)", runId, now());
		}
	}

	/** Whether the user cancelled the run's batches. */
	public boolean cancelRequested(long runId) {
		return !jdbc.queryForList("SELECT 1 FROM PB_BATCH_CANCEL WHERE RUN_ID = ?", Integer.class, runId).isEmpty();
	}

	private static Timestamp now() {
		return new Timestamp(System.currentTimeMillis());
	}
}
