package io.promptbatch.report;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Locale;
import java.util.NoSuchElementException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads a run's output back, one row at a time (memory does not grow with the file): JSONL or CSV with
 * the output columns, or OpenAI Batch output lines.
 */
public final class OutputRows implements Iterator<ResultRow>, AutoCloseable {

	private static final JsonMapper JSON = JsonMapper.builder().build();

	/** {@code HTTP 400 invalid_request: message (request id)}: the group is the status and the code. */
	private static final Pattern ERROR = Pattern.compile("^(HTTP \\d{3})(?: ([^:\\s]+))?: ");

	private final Reader reader;
	private final Iterator<ResultRow> rows;

	private OutputRows(Reader reader, Iterator<ResultRow> rows) {
		this.reader = reader;
		this.rows = rows;
	}

	/**
	 * Opens an output file.
	 * @param openAiBatch the file holds OpenAI Batch output lines rather than the output columns
	 */
	public static OutputRows open(Path output, boolean openAiBatch) throws IOException {
		BufferedReader reader = Files.newBufferedReader(output, StandardCharsets.UTF_8);
		String name = output.getFileName().toString().toLowerCase(Locale.ROOT);
		if (!openAiBatch && name.endsWith(".csv")) {
			CSVParser parser = CSVFormat.RFC4180.builder().setHeader().setSkipHeaderRecord(true).get().parse(reader);
			Iterator<CSVRecord> records = parser.iterator();
			return new OutputRows(reader, new Mapped<>(records, r -> fromColumns(r.toMap()::get)));
		}
		Iterator<String> lines = reader.lines().filter(l -> !l.isBlank()).iterator();
		return new OutputRows(reader, new Mapped<>(lines, line -> {
			JsonNode node = JSON.readTree(line);
			return openAiBatch ? fromBatchLine(node) : fromColumns(field -> textOrJson(node.get(field)));
		}));
	}

	private interface Fields {
		@Nullable String get(String name);
	}

	static ResultRow fromColumns(Fields f) {
		String error = blankToNull(f.get("error"));
		boolean ok = "ok".equals(f.get("status"));
		String score = blankToNull(f.get("score"));
		String answer = blankToNull(f.get("answer"));
		if (answer == null && ok) {
			answer = shownInstead(parse(f.get("tool_calls")), blankToNull(f.get("refusal")));
		}
		Integer first = score == null ? null : (int) Double.parseDouble(score);
		// with several choices, each carries its own score: pass@n is whether any passed
		JsonNode choices = parse(f.get("choices"));
		int count = choices != null && choices.isArray() && !choices.isEmpty() ? choices.size() : 1;
		Integer any = first;
		if (first != null && count > 1) {
			any = 0;
			for (JsonNode choice : choices) {
				if (choice.path("score").asInt(0) == 1) {
					any = 1;
				}
			}
		}
		return new ResultRow(String.valueOf(f.get("id")), ok, String.valueOf(f.get("model")),
				answer, blankToNull(f.get("reasoning")), longOf(f.get("prompt_tokens")),
				longOf(f.get("completion_tokens")), decimalOf(f.get("cost_usd")), longOf(f.get("latency_ms")),
				(int) longOf(f.get("attempts")), error, ok ? null : groupOf(error), "true".equals(f.get("cached")),
				first, blankToNull(f.get("expected")), any, count);
	}

	static ResultRow fromBatchLine(JsonNode line) {
		String id = line.path("custom_id").asString("");
		JsonNode response = line.get("response");
		if (response != null && response.isObject() && response.path("status_code").asInt() == 200) {
			JsonNode body = response.path("body");
			JsonNode message = body.path("choices").path(0).path("message");
			String answer = blankToNull(text(message.get("content")));
			if (answer == null) {
				answer = shownInstead(message.get("tool_calls"), text(message.get("refusal")));
			}
			return new ResultRow(id, true, body.path("model").asString(""), answer,
					text(message.get("reasoning_content")), body.path("usage").path("prompt_tokens").asLong(0),
					body.path("usage").path("completion_tokens").asLong(0), null, 0, 1, null, null, false, null,
					text(line.get("expected")));
		}
		if (response != null && response.isObject()) {
			int status = response.path("status_code").asInt();
			JsonNode e = response.path("body").path("error");
			String code = io.promptbatch.core.client.ChatException.reason(text(e.get("code")), text(e.get("type")));
			String message = "HTTP " + status + (code == null ? "" : " " + code) + ": " + e.path("message").asString("");
			return new ResultRow(id, false, "", null, null, 0, 0, null, 0, 1, message,
					"HTTP " + status + (code == null ? "" : " " + code), false, null, null);
		}
		JsonNode e = line.path("error");
		String code = e.path("code").asString("error");
		return new ResultRow(id, false, "", null, null, 0, 0, null, 0, 1, code + ": " + e.path("message").asString(""),
				code, false, null, null);
	}

	/** The kind of a failure, for grouping: {@code HTTP 429 too_many_requests}, or the code or first words. */
	static String groupOf(@Nullable String error) {
		if (error == null) {
			return "unknown";
		}
		Matcher m = ERROR.matcher(error);
		if (m.find()) {
			return m.group(2) == null ? m.group(1) : m.group(1) + " " + m.group(2);
		}
		int colon = error.indexOf(':');
		String head = colon > 0 ? error.substring(0, colon) : error;
		return head.length() > 60 ? head.substring(0, 60) + "..." : head;
	}

	@Override
	public boolean hasNext() {
		return rows.hasNext();
	}

	@Override
	public ResultRow next() {
		if (!rows.hasNext()) {
			throw new NoSuchElementException();
		}
		return rows.next();
	}

	@Override
	public void close() {
		try {
			reader.close();
		}
		catch (IOException e) {
			throw new UncheckedIOException(e);
		}
	}

	/**
	 * What the answer table shows for an answer without text: its tool calls, one per line as
	 * {@code name(arguments)}, or its refusal as {@code refused: ...}; null when it has neither.
	 */
	static @Nullable String shownInstead(@Nullable JsonNode toolCalls, @Nullable String refusal) {
		if (toolCalls != null && toolCalls.isArray() && !toolCalls.isEmpty()) {
			StringBuilder calls = new StringBuilder();
			for (JsonNode call : toolCalls) {
				calls.append(calls.isEmpty() ? "" : "\n").append(call.path("function").path("name").asString(""))
					.append('(').append(call.path("function").path("arguments").asString("")).append(')');
			}
			return calls.toString();
		}
		return refusal == null ? null : "refused: " + refusal;
	}

	private static @Nullable JsonNode parse(@Nullable String json) {
		if (json == null || json.isBlank()) {
			return null;
		}
		try {
			return JSON.readTree(json);
		}
		catch (tools.jackson.core.JacksonException e) {
			return null;
		}
	}

	/** A field's text; an array or object as its JSON text. */
	private static @Nullable String textOrJson(@Nullable JsonNode node) {
		return node != null && node.isContainer() ? JSON.writeValueAsString(node) : text(node);
	}

	private static @Nullable String text(@Nullable JsonNode node) {
		return node == null || node.isNull() ? null : node.asString();
	}

	private static @Nullable String blankToNull(@Nullable String s) {
		return s == null || s.isEmpty() ? null : s;
	}

	private static long longOf(@Nullable String s) {
		return s == null || s.isBlank() ? 0 : Long.parseLong(s.strip());
	}

	private static @Nullable BigDecimal decimalOf(@Nullable String s) {
		return s == null || s.isBlank() ? null : new BigDecimal(s.strip());
	}

	private record Mapped<T>(Iterator<T> source, java.util.function.Function<T, ResultRow> map)
			implements Iterator<ResultRow> {

		@Override
		public boolean hasNext() {
			return source.hasNext();
		}

		@Override
		public ResultRow next() {
			return map.apply(source.next());
		}
	}

}
