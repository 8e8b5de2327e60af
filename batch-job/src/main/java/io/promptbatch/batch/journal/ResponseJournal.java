package io.promptbatch.batch.journal;

import io.promptbatch.core.client.ChatResponse;
import io.promptbatch.core.client.Usage;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.springframework.jdbc.core.JdbcTemplate;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Every answer, recorded durably the moment it arrives, keyed by run and request fingerprint. A run
 * that resumes after a crash or a stop looks here before sending, so an answer that arrived after the
 * last commit is written without being paid for again. Writes are auto-committed, independent of the
 * chunk transactions, and safe from many threads.
 */
public final class ResponseJournal {

	/** An answer found in the journal, with the attempts and latency it took when it was paid for. */
	public record Entry(ChatResponse response, int attempts, long latencyMillis) {
	}

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private final JdbcTemplate jdbc;

	public ResponseJournal(JdbcTemplate jdbc) {
		this.jdbc = jdbc;
	}

	public void record(long runId, String fingerprint, ChatResponse response, int attempts, long latencyMillis) {
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
		jdbc.update("MERGE INTO PB_RESPONSE_JOURNAL (RUN_ID, FINGERPRINT, RESPONSE, CREATED_AT) KEY (RUN_ID, FINGERPRINT) "
				+ "VALUES (?, ?, ?, ?)", runId, fingerprint, JSON.writeValueAsString(node), Timestamp.from(Instant.now()));
	}

	public Optional<Entry> find(long runId, String fingerprint) {
		List<String> found = jdbc.queryForList(
				"SELECT RESPONSE FROM PB_RESPONSE_JOURNAL WHERE RUN_ID = ? AND FINGERPRINT = ?", String.class, runId,
				fingerprint);
		if (found.isEmpty()) {
			return Optional.empty();
		}
		JsonNode n = JSON.readTree(found.get(0));
		ChatResponse response = new ChatResponse(n.path("id").asString(""), n.path("model").asString(""),
				n.path("content").asString(""), text(n.get("reasoning")), text(n.get("finish_reason")),
				new Usage(n.path("prompt_tokens").asLong(), n.path("completion_tokens").asLong(),
						n.path("total_tokens").asLong(), n.path("cached_tokens").asLong()));
		return Optional.of(new Entry(response, n.path("attempts").asInt(1), n.path("latency_ms").asLong()));
	}

	/** Answers recorded for a run. */
	public long count(long runId) {
		Long n = jdbc.queryForObject("SELECT COUNT(*) FROM PB_RESPONSE_JOURNAL WHERE RUN_ID = ?", Long.class, runId);
		return n == null ? 0 : n;
	}

	private static String text(JsonNode node) {
		return node == null || node.isNull() ? null : node.asString();
	}
}
