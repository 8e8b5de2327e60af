package io.promptbatch.batch.output;

import io.promptbatch.batch.fanout.AnswerRow;
import io.promptbatch.core.chat.Usage;
import io.promptbatch.core.client.AnswerChoices;
import io.promptbatch.core.client.ChatResponse;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The output columns, in contract order ({@code score} only when the run is scored), followed by the
 * carried input columns. A carried column whose name is taken by an output column is written as
 * {@code input.<name>}.
 */
public final class OutputColumns {

	/** The columns every output row has, in this order. */
	public static final List<String> CONTRACT = List.of("id", "status", "model", "answer", "reasoning",
			"finish_reason", "prompt_tokens", "completion_tokens", "total_tokens", "cost_usd", "latency_ms", "attempts",
			"error", "cached", "tool_calls", "refusal", "logprobs", "system_fingerprint", "choices", "extra");

	/** The column of a scored run: 1 or 0, empty for a row that could not be scored. */
	public static final String SCORE = "score";

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private final List<String> carried;

	private final List<String> carriedNames;

	private final boolean scored;

	public OutputColumns(List<String> carried, boolean scored) {
		this.carried = List.copyOf(carried);
		this.scored = scored;
		List<String> names = new ArrayList<>();
		for (String c : carried) {
			names.add(CONTRACT.contains(c) || c.equals(SCORE) ? "input." + c : c);
		}
		this.carriedNames = List.copyOf(names);
	}

	/** All header names. */
	public List<String> names() {
		List<String> all = new ArrayList<>(CONTRACT);
		if (scored) {
			all.add(SCORE);
		}
		all.addAll(carriedNames);
		return all;
	}

	/**
	 * The row's values by column name, in column order: strings, numbers or null. Carried columns the
	 * row lacks are null.
	 */
	public Map<String, Object> values(AnswerRow row) {
		Map<String, Object> v = new LinkedHashMap<>();
		ChatResponse r = row.response();
		Usage u = row.usage();
		v.put("id", row.prompt().id());
		v.put("status", row.status());
		v.put("model", r != null && !r.model().isEmpty() ? r.model() : row.model());
		v.put("answer", r == null ? null : r.content());
		v.put("reasoning", r == null ? null : r.reasoning());
		v.put("finish_reason", r == null ? null : r.finishReason());
		v.put("prompt_tokens", r == null ? null : u.promptTokens());
		v.put("completion_tokens", r == null ? null : u.completionTokens());
		v.put("total_tokens", r == null ? null : u.totalTokens());
		v.put("cost_usd", row.cost());
		v.put("latency_ms", row.latencyMillis());
		v.put("attempts", row.attempts());
		v.put("error", row.error() == null ? null : row.error().describe());
		v.put("cached", row.cached());
		putKept(v, row);
		if (scored) {
			v.put(SCORE, row.score());
		}
		Map<String, String> columns = row.prompt().columns();
		for (int i = 0; i < carried.size(); i++) {
			v.put(carriedNames.get(i), columns.get(carried.get(i)));
		}
		return v;
	}

	/**
	 * The fields the body holds beyond the first choice's text: the first choice's tool calls, refusal,
	 * log-probabilities, the fingerprint, every choice when there are several (each with its score when
	 * the run is scored), and the fields promptbatch does not know (JSON; null when there is none).
	 */
	private void putKept(Map<String, Object> v, AnswerRow row) {
		AnswerChoices parts = row.choices();
		AnswerChoices.Choice first = parts == null ? null : parts.first();
		v.put("tool_calls", first == null ? null : first.toolCalls());
		v.put("refusal", first == null ? null : first.refusal());
		v.put("logprobs", first == null ? null : first.logprobs());
		v.put("system_fingerprint", parts == null ? null : parts.systemFingerprint());
		v.put("choices", parts == null || parts.choices().size() < 2 ? null : choices(parts, row));
		v.put("extra", parts == null ? null : extra(parts));
	}

	private ArrayNode choices(AnswerChoices parts, AnswerRow row) {
		ArrayNode array = (ArrayNode) parts.choicesJson();
		if (scored && row.scores() != null) {
			List<Integer> each = row.scores().each();
			for (int i = 0; i < array.size() && i < each.size(); i++) {
				((ObjectNode) array.get(i)).put(SCORE, each.get(i));
			}
		}
		return array;
	}

	/** The body's unknown fields and the first choice's: {@code {"response":..,"message":..,"choice":..}}. */
	private static @Nullable ObjectNode extra(AnswerChoices parts) {
		ObjectNode extra = JSON.createObjectNode();
		if (parts.extra() != null) {
			extra.set("response", parts.extra());
		}
		ObjectNode first = parts.first().extra();
		if (first != null) {
			extra.setAll(first);
		}
		return extra.isEmpty() ? null : extra;
	}
}
