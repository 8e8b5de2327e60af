package io.promptbatch.batch.output;

import io.promptbatch.batch.fanout.AnswerRow;
import io.promptbatch.core.chat.Usage;
import io.promptbatch.core.client.ChatResponse;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The output columns, in contract order ({@code score} only when the run is scored), followed by the
 * carried input columns. A carried column whose name is taken by an output column is written as
 * {@code input.<name>}.
 */
public final class OutputColumns {

	/** The columns every output row has, in this order. */
	public static final List<String> CONTRACT = List.of("id", "status", "model", "answer", "reasoning",
			"finish_reason", "prompt_tokens", "completion_tokens", "total_tokens", "cost_usd", "latency_ms", "attempts",
			"error", "cached");

	/** The column of a scored run: 1 or 0, empty for a row that could not be scored. */
	public static final String SCORE = "score";

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
		if (scored) {
			v.put(SCORE, row.score());
		}
		Map<String, String> columns = row.prompt().columns();
		for (int i = 0; i < carried.size(); i++) {
			v.put(carriedNames.get(i), columns.get(carried.get(i)));
		}
		return v;
	}
}
