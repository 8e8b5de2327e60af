package io.promptbatch.batch.journal;

import io.promptbatch.batch.state.StateSchema;
import io.promptbatch.core.client.ChatResponse;
import io.promptbatch.core.client.Usage;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.ArrayList;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.TransactionTemplate;
import org.springframework.jdbc.core.JdbcTemplate;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Every answer, recorded durably the moment it arrives, keyed by run and request fingerprint. A run
 * that resumes after a crash or a stop looks here before sending, so an answer that arrived after the
 * last commit is written without being paid for again; kept across runs, the same table is the
 * response cache.
 *
 * <p>Writes are group-committed by one writer thread, independent of the chunk transactions: every
 * answer waiting when a commit starts goes into it, so a busy run makes one database commit per batch
 * rather than one per answer (with {@code WRITE_DELAY=0} each commit writes to the file). {@link #record}
 * completes when the answer is durable; callers release the request's slot only then, so answers not
 * yet durable are always among the requests in flight.
 */
public final class ResponseJournal implements AutoCloseable {

	/**
	 * An answer found in the journal, with the run that paid for it and the attempts and latency it took
	 * then.
	 */
	public record Entry(long runId, ChatResponse response, int attempts, long latencyMillis) {
	}

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private record Pending(long runId, String fingerprint, String json, CompletableFuture<Void> done) {
	}

	private static final Logger log = LoggerFactory.getLogger(ResponseJournal.class);

	/** Wakes the writer when the journal closes. */
	private static final Pending CLOSE = new Pending(0, "", "", new CompletableFuture<>());

	// a plain insert: a request answered twice in one run (the same prompt twice) is recorded twice, and a
	// lookup takes either; there is no unique key to check on the hot path
	private static final String INSERT = "INSERT INTO PB_RESPONSE_JOURNAL (RUN_ID, FINGERPRINT, RESPONSE, CREATED_AT, "
			+ "FP_KEY) VALUES (?, ?, ?, ?, ?)";

	private final JdbcTemplate jdbc;
	private final TransactionTemplate transactions;
	private final LinkedBlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
	private final Thread writer;
	private volatile boolean closed;

	public ResponseJournal(JdbcTemplate jdbc, PlatformTransactionManager transactionManager) {
		this.jdbc = jdbc;
		this.transactions = new TransactionTemplate(transactionManager);
		this.transactions.setPropagationBehavior(TransactionDefinition.PROPAGATION_REQUIRES_NEW);
		this.writer = new Thread(this::writeLoop, "promptbatch-journal");
		this.writer.setDaemon(true);
		this.writer.start();
	}

	private void writeLoop() {
		List<Pending> batch = new ArrayList<>();
		while (!closed || !queue.isEmpty()) {
			try {
				Pending first = queue.take();
				if (first != CLOSE) {
					batch.add(first);
				}
				queue.drainTo(batch, 999);
				batch.remove(CLOSE);
				if (!batch.isEmpty()) {
					write(batch);
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
	}

	private void write(List<Pending> batch) {
		Timestamp now = Timestamp.from(Instant.now());
		try {
			transactions.executeWithoutResult(status -> jdbc.batchUpdate(INSERT, batch, batch.size(), (ps, p) -> {
				ps.setLong(1, p.runId());
				ps.setString(2, p.fingerprint());
				ps.setString(3, p.json());
				ps.setTimestamp(4, now);
				ps.setLong(5, StateSchema.fingerprintKey(p.fingerprint()));
			}));
			batch.forEach(p -> p.done().complete(null));
		}
		catch (RuntimeException e) {
			log.warn("Could not journal {} answers; they are still written at the next chunk commit: {}", batch.size(),
					e.toString());
			batch.forEach(p -> p.done().completeExceptionally(e));
		}
	}

	/** Stops the writer after the answers already handed to it are durable. */
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
		CompletableFuture<Void> done = new CompletableFuture<>();
		if (closed) {
			done.completeExceptionally(new IllegalStateException("the journal is closed"));
			return done;
		}
		queue.add(new Pending(runId, fingerprint, JSON.writeValueAsString(node), done));
		return done;
	}

	/**
	 * The answer to a request: the run's own if it has one, else (when {@code anyRun}) the newest answer
	 * of any run, which is the response cache.
	 */
	public Optional<Entry> find(long runId, String fingerprint, boolean anyRun) {
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
						n.path("total_tokens").asLong(), n.path("cached_tokens").asLong()));
		return new Entry(runId, response, n.path("attempts").asInt(1), n.path("latency_ms").asLong());
	}

	/** Whether any run has recorded an answer. */
	public boolean any() {
		return !jdbc.queryForList("SELECT 1 FROM PB_RESPONSE_JOURNAL LIMIT 1", Integer.class).isEmpty();
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
