package io.promptbatch.simulator;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A batch's input file, checked line by line as a provider validates it: each line a JSON object with a
 * unique {@code custom_id}, {@code method} POST, {@code url} {@code /v1/chat/completions} and a
 * {@code body} with a {@code model}, one model in the file, no more lines than the limit, and none of
 * the settings the provider refuses for the model.
 *
 * @param lines the requests, in the file's order (all of them, even when some lines are bad)
 * @param errors one entry per bad line, the first thing wrong with it, in line order
 */
record BatchInput(List<Line> lines, List<LineError> errors) {

	static final String CHAT_COMPLETIONS = "/v1/chat/completions";

	private static final JsonMapper JSON = JsonMapper.builder().build();

	/** One request of the file. */
	record Line(String customId, JsonNode body) {
	}

	/**
	 * What is wrong with one line.
	 *
	 * @param param the field at fault, or null
	 * @param line the 1-based line number
	 */
	record LineError(String code, String message, @Nullable String param, int line) {
	}

	static BatchInput read(byte[] content, BatchProvider provider, int maxLines) {
		String text = new String(content, StandardCharsets.UTF_8);
		if (text.startsWith("\uFEFF")) {
			text = text.substring(1);
		}
		List<String> rows = new ArrayList<>(List.of(text.split("\n", -1)));
		if (!rows.isEmpty() && rows.get(rows.size() - 1).isEmpty()) {
			rows.remove(rows.size() - 1);
		}
		List<Line> lines = new ArrayList<>();
		List<LineError> errors = new ArrayList<>();
		Map<String, Integer> seen = new HashMap<>();
		String model = null;
		int modelLine = 0;
		for (int i = 0; i < rows.size(); i++) {
			int number = i + 1;
			if (maxLines > 0 && number == maxLines + 1) {
				errors.add(new LineError("too_many_lines", "The file has " + rows.size() + " lines; a batch may hold at most "
						+ maxLines + ". Split it into files of at most " + maxLines + " lines.", null, number));
			}
			String row = rows.get(i).strip();
			JsonNode node;
			try {
				node = row.isEmpty() ? null : JSON.readTree(row);
			}
			catch (RuntimeException e) {
				node = null;
			}
			if (node == null || !node.isObject()) {
				errors.add(new LineError("invalid_json_line", row.isEmpty() ? "The line is empty."
						: "The line is not a JSON object.", null, number));
				continue;
			}
			String customId = node.path("custom_id").isString() ? node.get("custom_id").asString() : "";
			JsonNode body = node.path("body");
			String url = node.path("url").asString("");
			String lineModel = body.path("model").asString("");
			List<String> refused = provider.refusedSettings(body);
			LineError error = null;
			if (customId.isEmpty()) {
				error = new LineError("missing_custom_id", "The line has no custom_id string.", "custom_id", number);
			}
			else if (seen.containsKey(customId)) {
				error = new LineError("duplicate_custom_id", "custom_id '" + customId + "' is also on line "
						+ seen.get(customId) + "; each must be unique in the file.", "custom_id", number);
			}
			else if (!"POST".equals(node.path("method").asString(""))) {
				error = new LineError("invalid_method", "method must be POST, was '" + node.path("method").asString("")
						+ "'.", "method", number);
			}
			else if (!CHAT_COMPLETIONS.equals(url)) {
				error = new LineError("invalid_url", "url must be " + CHAT_COMPLETIONS + " (the batch's endpoint), was '"
						+ url + "'.", "url", number);
			}
			else if (!body.isObject()) {
				error = new LineError("missing_body", "The line has no body object.", "body", number);
			}
			else if (lineModel.isEmpty()) {
				error = new LineError("missing_model", "The body has no model.", "body.model", number);
			}
			else if (model != null && !model.equals(lineModel)) {
				error = new LineError("mismatched_model", "The model '" + lineModel + "' differs from '" + model
						+ "' on line " + modelLine + "; a batch holds one model.", "body.model", number);
			}
			else if (!refused.isEmpty()) {
				error = new LineError("unsupported_parameter", lineModel + " does not let batch requests set "
						+ String.join(", ", refused) + "; remove " + (refused.size() == 1 ? "it" : "them") + " from the body.",
						"body." + refused.get(0), number);
			}
			if (!customId.isEmpty()) {
				seen.putIfAbsent(customId, number);
			}
			if (model == null && !lineModel.isEmpty()) {
				model = lineModel;
				modelLine = number;
			}
			if (error != null) {
				errors.add(error);
			}
			else {
				lines.add(new Line(customId, body));
			}
		}
		errors.sort(java.util.Comparator.comparingInt(LineError::line));
		return new BatchInput(List.copyOf(lines), List.copyOf(errors));
	}
}
