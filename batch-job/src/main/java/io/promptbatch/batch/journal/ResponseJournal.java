package io.promptbatch.batch.journal;

import io.promptbatch.batch.state.StateSchema;
import io.promptbatch.core.chat.Usage;
import io.promptbatch.core.client.ChatResponse;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Every answer, recorded durably the moment it arrives, keyed by run and request fingerprint. A run
 * that resumes after a crash or a stop looks here before sending, so an answer that arrived after the
 * last commit is written without being paid for again; kept across runs, the same table is the
 * response cache.
 *
 * <p>An answer is kept with the provider's whole response body ({@link ChatResponse#body()}), so that
 * a resumed run and a cache hit write it as the provider sent it.
 *
 * <p>An answer is durable once it is in the {@link AnswerLog} (one append to a file); {@link #record}
 * completes then, and callers release the request's slot only then, so answers not yet durable are
 * always among the requests in flight. The same writer thread then inserts the answers into the journal
 * table, up to 500 per transaction, about 0.1 s after they were logged at most. The state database
 * writes its commits to its file in the background (H2's {@code WRITE_DELAY}), so that table may lag
 * the log by a moment; a log segment is deleted only after a {@code CHECKPOINT} has written its answers
 * to the file, and segments left behind by a process that ended without closing are inserted by the
 * next one before anything is looked up. Until its insert commits, an answer is found in memory.
 *
 * <p>A shared PostgreSQL state database ({@code --state-db}) has a commit durable when it returns, so a
 * segment is deleted as soon as its answers' inserts committed, with no checkpoint. The log stays on the
 * machine that wrote it: what a killed process left there reaches the shared table when a process next
 * opens that state directory, and a run continued elsewhere meanwhile asks for those few answers again.
 *
 * <p>It is one piece because the answer log, the answers held in memory until their insert commits and the writer
 * thread hand each answer over in one order: an answer is found from the moment {@link #record} completes, and
 * split apart they would have to share that hand-over.
 */
public final class ResponseJournal implements AutoCloseable {

	/**
	 * An answer found in the journal, with the run that paid for it and the attempts and latency it took
	 * then.
	 */
	public record Entry(long runId, ChatResponse response, int attempts, long latencyMillis) {
	}

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private record Pending(AnswerLog.Line line, CompletableFuture<Void> done) {
	}

	private static final Logger log = LoggerFactory.getLogger(ResponseJournal.class);

	/** Wakes the writer when the journal closes. */
	private static final Pending CLOSE = new Pending(new AnswerLog.Line(0, "", 0, ""), new CompletableFuture<>());

	/** Logged answers are inserted into the table this many at a time at most... */
	private static final int INSERT_BATCH = 500;

	/** ...or once the oldest of them has waited this long. */
	private static final long INSERT_DELAY_MILLIS = 100;

	/** A log segment is sealed (and deleted once checkpointed) after this many bytes. */
	static final long SEGMENT_BYTES = 4 << 20;

	// a plain insert: a request answered twice in one run (the same prompt twice) is recorded twice, and a
	// lookup takes either; there is no unique key to check on the hot path
	private static final String INSERT = "INSERT INTO PB_RESPONSE_JOURNAL (RUN_ID, FINGERPRINT, RESPONSE, CREATED_AT, "
			+ "FP_KEY) VALUES (?, ?, ?, ?, ?)";

	private final JdbcTemplate jdbc;
	private final TransactionTemplate transactions;
	private final LinkedBlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
	private final Thread writer;
	private final AnswerLog answerLog;
	private final boolean h2;
	/** Answers logged whose insert has not committed yet, by fingerprint. */
	private final ConcurrentHashMap<String, AnswerLog.Line> unindexed = new ConcurrentHashMap<>();
	/** Set when an insert failed: the log then keeps every segment, for the next process to insert. */
	private volatile boolean tableBehind;
	private volatile boolean closed;

	/**
	 * Opens the journal on a state database and its answer log (a directory), inserting first what a
	 * process that did not close left in the log.
	 */
	public ResponseJournal(JdbcTemplate jdbc, PlatformTransactionManager transactionManager, Path logDir) {
		this(jdbc, transactionManager, logDir, SEGMENT_BYTES);
	}

	ResponseJournal(JdbcTemplate jdbc, PlatformTransactionManager transactionManager, Path logDir, long segmentBytes) {
		this.jdbc = jdbc;
		this.transactions = new TransactionTemplate(transactionManager);
		this.transactions.setPropagationBehavior(TransactionDefinition.PROPAGATION_REQUIRES_NEW);
		this.h2 = Boolean.TRUE.equals(jdbc.execute((java.sql.Connection c) -> c.getMetaData()
			.getDatabaseProductName()
			.toLowerCase(java.util.Locale.ROOT)
			.contains("h2")));
		recover(logDir);
		this.answerLog = new AnswerLog(logDir, segmentBytes);
		this.writer = new Thread(this::writeLoop, "promptbatch-journal");
		this.writer.setDaemon(true);
		this.writer.start();
	}

	private void writeLoop() {
		List<Pending> batch = new ArrayList<>();
		// answers logged, not yet inserted: inserted together once there are enough of them, once the oldest has
		// waited long enough, when no answer is waiting, and at close
		List<AnswerLog.Line> logged = new ArrayList<>();
		long oldest = 0;
		boolean closing = false;
		while (!closing || !queue.isEmpty()) {
			try {
				Pending first = logged.isEmpty() ? queue.take() : queue.poll(INSERT_DELAY_MILLIS, TimeUnit.MILLISECONDS);
				if (first != null) {
					batch.add(first);
					queue.drainTo(batch, 999);
				}
				closing |= batch.remove(CLOSE);
				if (!batch.isEmpty()) {
					if (logged.isEmpty()) {
						oldest = System.currentTimeMillis();
					}
					logged.addAll(append(batch));
				}
				if (!logged.isEmpty() && (first == null || closing || logged.size() >= INSERT_BATCH
						|| System.currentTimeMillis() - oldest >= INSERT_DELAY_MILLIS)) {
					insertLogged(logged);
					logged.clear();
				}
			}
			catch (InterruptedException e) {
				Thread.currentThread().interrupt();
				return;
			}
			finally {
				batch.clear();
			}
		}
		if (!logged.isEmpty()) {
			insertLogged(logged);
		}
	}

	/** Appends answers to the log and acknowledges them; the lines that were logged. */
	private List<AnswerLog.Line> append(List<Pending> batch) {
		List<AnswerLog.Line> lines = new ArrayList<>(batch.size());
		batch.forEach(p -> lines.add(p.line()));
		try {
			answerLog.append(lines);
		}
		catch (IOException | RuntimeException e) {
			log.warn("Could not journal {} answers; they are still written at the next chunk commit: {}", batch.size(),
					e.toString());
			batch.forEach(p -> p.done().completeExceptionally(e));
			// a write cut short (a full disk) may have left part of a line: what follows goes to a new segment
			try {
				answerLog.seal();
			}
			catch (IOException | RuntimeException sealFailure) {
				e.addSuppressed(sealFailure);
			}
			return List.of();
		}
		lines.forEach(l -> unindexed.put(l.fingerprint(), l));
		batch.forEach(p -> p.done().complete(null));
		return lines;
	}

	/**
	 * Inserts every logged answer not yet in the table; then, the whole log being in the table, a full
	 * segment is sealed, and once a checkpoint has written the table to the file, deleted.
	 */
	private void insertLogged(List<AnswerLog.Line> lines) {
		try {
			insert(lines);
		}
		catch (RuntimeException e) {
			tableBehind = true;
			log.warn("Could not insert {} answers into the journal table; they stay in the answer log for the next "
					+ "run: {}", lines.size(), e.toString());
			return;
		}
		finally {
			lines.forEach(l -> unindexed.remove(l.fingerprint(), l));
		}
		if (answerLog.full()) {
			sealAndDelete();
		}
	}

	/**
	 * Closes the log's current segment and, unless an insert failed, deletes the closed segments once a
	 * checkpoint has written the table (which holds all their answers) to the file.
	 */
	private void sealAndDelete() {
		try {
			answerLog.seal();
			if (!tableBehind) {
				checkpoint();
				answerLog.deleteSealed();
			}
		}
		catch (IOException | RuntimeException e) {
			log.warn("The answer log keeps its segments for the next run: {}", e.toString());
		}
	}

	private void insert(List<AnswerLog.Line> lines) {
		transactions.executeWithoutResult(status -> jdbc.batchUpdate(INSERT, lines, lines.size(), (ps, l) -> {
			ps.setLong(1, l.runId());
			ps.setString(2, l.fingerprint());
			ps.setString(3, l.json());
			ps.setTimestamp(4, new Timestamp(l.createdAtMillis()));
			ps.setLong(5, StateSchema.fingerprintKey(l.fingerprint()));
		}));
	}

	/** Writes what the state database has committed to its file (H2; other databases do so at each commit). */
	private void checkpoint() {
		if (h2) {
			jdbc.execute("CHECKPOINT");
		}
	}

	/** Inserts the answers of a log left behind by a process that ended without closing, then deletes it. */
	private void recover(Path logDir) {
		List<Path> left = AnswerLog.segments(logDir);
		if (left.isEmpty()) {
			return;
		}
		List<AnswerLog.Line> batch = new ArrayList<>();
		java.util.Set<String> inBatch = new java.util.HashSet<>();
		long[] inserted = { 0 };
		long read = AnswerLog.replay(left, line -> {
			try {
				JSON.readTree(line.json());
			}
			catch (RuntimeException e) {
				log.warn("Skipping an answer-log line of run {} whose answer is not whole JSON", line.runId());
				return;
			}
			if (jdbc.queryForList("SELECT 1 FROM PB_RESPONSE_JOURNAL WHERE FP_KEY = ? AND FINGERPRINT = ? AND RUN_ID = ? "
					+ "LIMIT 1", Integer.class, StateSchema.fingerprintKey(line.fingerprint()), line.fingerprint(),
					line.runId()).isEmpty() && inBatch.add(line.runId() + "/" + line.fingerprint())) {
				batch.add(line);
			}
			if (batch.size() >= 1000) {
				insert(batch);
				inserted[0] += batch.size();
				batch.clear();
				inBatch.clear();
			}
		});
		if (!batch.isEmpty()) {
			insert(batch);
			inserted[0] += batch.size();
		}
		checkpoint();
		for (Path segment : left) {
			try {
				Files.deleteIfExists(segment);
			}
			catch (IOException e) {
				throw new UncheckedIOException("cannot delete the answer-log segment " + segment, e);
			}
		}
		log.info("Answer log of an earlier process: {} answers read, {} were not yet in the journal table", read,
				inserted[0]);
	}

	/**
	 * Stops the writer after the answers already handed to it are durable, and deletes the answer log once the
	 * journal table has them on disk.
	 */
	@Override
	public void close() {
		closed = true;
		queue.add(CLOSE);
		try {
			writer.join(10_000);
		}
		catch (InterruptedException e) {
			Thread.currentThread().interrupt();
		}
		if (writer.isAlive()) {
			return;
		}
		sealAndDelete();
	}

	/** Records an answer; the future completes when it is durable (or fails when it could not be written). */
	public CompletableFuture<Void> record(long runId, String fingerprint, ChatResponse response, int attempts,
			long latencyMillis) {
		ObjectNode node = JSON.createObjectNode();
		node.put("id", response.id());
		node.put("model", response.model());
		node.put("content", response.content());
		node.put("reasoning", response.reasoning());
		node.put("finish_reason", response.finishReason());
		Usage u = response.usage();
		node.put("prompt_tokens", u.promptTokens());
		node.put("completion_tokens", u.completionTokens());
		node.put("total_tokens", u.totalTokens());
		node.put("cached_tokens", u.cachedTokens());
		node.put("attempts", attempts);
		node.put("latency_ms", latencyMillis);
		// the provider's body as text, so that it is written out later exactly as it came
		node.put("body", response.body());
		CompletableFuture<Void> done = new CompletableFuture<>();
		if (closed) {
			done.completeExceptionally(new IllegalStateException("the journal is closed"));
			return done;
		}
		queue.add(new Pending(new AnswerLog.Line(runId, fingerprint, System.currentTimeMillis(),
				JSON.writeValueAsString(node)), done));
		return done;
	}

	/**
	 * The answer to a request: the run's own if it has one, else (when {@code anyRun}) the newest answer
	 * of any run, which is the response cache.
	 */
	public Optional<Entry> find(long runId, String fingerprint, boolean anyRun) {
		AnswerLog.Line logged = unindexed.get(fingerprint);
		if (logged != null && (anyRun || logged.runId() == runId)) {
			return Optional.of(entry(logged.runId(), logged.json()));
		}
		long key = StateSchema.fingerprintKey(fingerprint);
		List<Entry> found = anyRun
				? jdbc.query("SELECT RUN_ID, RESPONSE FROM PB_RESPONSE_JOURNAL WHERE FP_KEY = ? AND FINGERPRINT = ? "
						+ "ORDER BY CASE WHEN RUN_ID = ? THEN 0 ELSE 1 END, ID DESC LIMIT 1",
						(rs, i) -> entry(rs.getLong(1), rs.getString(2)), key, fingerprint, runId)
				: jdbc.query("SELECT RUN_ID, RESPONSE FROM PB_RESPONSE_JOURNAL WHERE FP_KEY = ? AND FINGERPRINT = ? "
						+ "AND RUN_ID = ? LIMIT 1", (rs, i) -> entry(rs.getLong(1), rs.getString(2)), key, fingerprint,
						runId);
		return found.isEmpty() ? Optional.empty() : Optional.of(found.get(0));
	}

	private static Entry entry(long runId, String json) {
		JsonNode n = JSON.readTree(json);
		ChatResponse response = new ChatResponse(n.path("id").asString(""), n.path("model").asString(""),
				n.path("content").asString(""), text(n.get("reasoning")), text(n.get("finish_reason")),
				new Usage(n.path("prompt_tokens").asLong(), n.path("completion_tokens").asLong(),
						n.path("total_tokens").asLong(), n.path("cached_tokens").asLong()), text(n.get("body")));
		return new Entry(runId, response, n.path("attempts").asInt(1), n.path("latency_ms").asLong());
	}

	/** The answers a run has recorded. */
	public long count(long runId) {
		Long n = jdbc.queryForObject("SELECT COUNT(*) FROM PB_RESPONSE_JOURNAL WHERE RUN_ID = ?", Long.class, runId);
		long pending = unindexed.values().stream().filter(l -> l.runId() == runId).count();
		return (n == null ? 0 : n) + pending;
	}

	/** Whether any run has recorded an answer (in the table, or logged and not yet inserted). */
	public boolean any() {
		return !unindexed.isEmpty() || !jdbc.queryForList("SELECT 1 FROM PB_RESPONSE_JOURNAL LIMIT 1", Integer.class).isEmpty();
	}

	/** Answers recorded for a run per second (by epoch second), from the times they were recorded. */
	public java.util.SortedMap<Long, Long> answersPerSecond(long runId) {
		java.util.SortedMap<Long, Long> perSecond = new java.util.TreeMap<>();
		jdbc.query("SELECT CREATED_AT FROM PB_RESPONSE_JOURNAL WHERE RUN_ID = ?",
				(java.sql.ResultSet rs) -> {
					perSecond.merge(rs.getTimestamp(1).toInstant().getEpochSecond(), 1L, Long::sum);
				}, runId);
		return perSecond;
	}

	private static String text(JsonNode node) {
		return node == null || node.isNull() ? null : node.asString();
	}
}
