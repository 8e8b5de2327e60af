package io.promptbatch.core.prompt;

import io.promptbatch.core.chat.ChatRequest;
import io.promptbatch.core.chat.Message;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.core.exc.UnexpectedEndOfInputException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads JSON Lines: {@code {"id":..,"prompt":".."}} or {@code {"id":..,"messages":[..]}}, one object
 * per line, with optional {@code system}, {@code model}, {@code temperature}, {@code max_tokens}; or
 * OpenAI Batch lines {@code {"custom_id":..,"method":"POST","url":"/v1/chat/completions","body":{..}}},
 * whose body is the request. Blank lines are skipped. Other fields are template variables carried to
 * the output.
 */
final class JsonlPromptReader implements PromptReader {

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private static final Set<String> RESERVED = Set.of("id", "prompt", "messages", "system", "model", "temperature",
			"max_tokens");

	private static final Set<String> BATCH_RESERVED = Set.of("custom_id", "method", "url", "body");


	private final Path file;
	private final InputText input;
	private final BufferedReader reader;
	private final @Nullable PromptTemplate template;
	private final @Nullable String defaultSystem;
	private final Set<String> carried = new LinkedHashSet<>();
	private long line;
	private long recordNumber;
	private @Nullable String lastRecordId;

	JsonlPromptReader(Path file, InputText text, PromptOptions options) {
		this.file = file;
		this.input = text;
		this.reader = new BufferedReader(text.reader(), 1 << 16);
		this.template = options.template() == null ? null : PromptTemplate.of(options.template());
		this.defaultSystem = options.system();
	}

	private @Nullable String nextLine() {
		try {
			String text;
			do {
				text = reader.readLine();
				line++;
			}
			while (text != null && text.isBlank());
			return text;
		}
		catch (IOException e) {
			throw input.unreadable(file, line, e);
		}
	}

	@Override
	public @Nullable Prompt read() {
		String text = nextLine();
		if (text == null) {
			return null;
		}
		recordNumber++;
		lastRecordId = null;
		JsonNode node;
		try {
			node = JSON.readTree(text);
		}
		catch (JacksonException e) {
			throw notJson(text, e);
		}
		if (recordNumber == 1 && node != null && node.isArray()) {
			throw wholeArray();
		}
		if (node == null || !node.isObject()) {
			throw InputException.record(file, line, "each line must be a JSON object, this one is "
					+ (node == null ? "empty" : node.getNodeType().toString().toLowerCase(java.util.Locale.ROOT)));
		}
		JsonNode ownId = node.has("custom_id") && node.has("body") ? node.get("custom_id") : node.get("id");
		lastRecordId = ownId == null || ownId.isNull() || ownId.isContainer() ? null : ownId.asString().strip();
		if (node.has("custom_id") && node.has("body")) {
			return batchLine(node);
		}
		Map<String, String> values = carried(node, RESERVED);
		String id = idOf(node.get("id"));
		String model = node.hasNonNull("model") ? node.get("model").asString() : null;
		String system = node.hasNonNull("system") ? node.get("system").asString() : defaultSystem;
		List<Message> messages;
		if (node.has("messages")) {
			messages = messages(node.get("messages"), system);
		}
		else if (template != null) {
			try {
				messages = InputReaders.messages(file, line, system, template.render(values));
			}
			catch (IllegalArgumentException e) {
				throw InputException.record(file, line, e.getMessage() + "; add the field to every line or change --template");
			}
		}
		else if (node.hasNonNull("prompt")) {
			messages = InputReaders.messages(file, line, system, node.get("prompt").asString());
		}
		else {
			String near = CsvHeader.nearMiss("prompt", node.propertyNames());
			throw InputException.record(file, line, "no \"prompt\" or \"messages\" field"
					+ (near == null ? "" : "; did you mean " + CsvHeader.quoted(near) + "? (names are case-sensitive)")
					+ "; each line needs one (or render prompts with --template)");
		}
		Prompt.Settings settings = Prompt.Settings.NONE;
		if (node.hasNonNull("temperature") || node.hasNonNull("max_tokens")) {
			settings = new Prompt.Settings(InputReaders.temperature(file, line, scalar(node.get("temperature"))),
					InputReaders.maxTokens(file, line, scalar(node.get("max_tokens"))), Map.of(), false);
		}
		return new Prompt(recordNumber, line, id, messages, model, values, settings);
	}

	/**
	 * Why a line is not JSON, in words (Jackson's own message, without its parser settings and source positions).
	 * A file that is one JSON array, or one object spread over lines, is named as such.
	 */
	private InputException notJson(String lineText, JacksonException e) {
		String start = lineText.strip();
		boolean unfinished = e instanceof UnexpectedEndOfInputException
				|| String.valueOf(e.getOriginalMessage()).startsWith("Unexpected end-of-input");
		if (recordNumber == 1 && start.startsWith("[")) {
			throw wholeArray();
		}
		if (unfinished && recordNumber == 1 && start.startsWith("{")) {
			return new InputException(file, line, "this is one JSON object spread over several lines, not JSON Lines "
					+ "(one object per line); convert it with: jq -c . " + file.getFileName() + " > " + converted());
		}
		if (unfinished) {
			return InputException.record(file, line, "not valid JSON: the line ends inside a JSON value; each record "
					+ "must be one whole JSON object on one line");
		}
		String why = String.valueOf(e.getOriginalMessage());
		int marker = why.indexOf(" (start marker at");
		if (marker >= 0) {
			why = why.substring(0, marker);
		}
		why = why.replaceAll("\\s*\\[Source:.*", "").strip();
		long column = e.getLocation() == null ? -1 : e.getLocation().getColumnNr();
		return InputException.record(file, line, "not valid JSON" + (column > 0 ? " at column " + column : "") + " ("
				+ why + "); each line must be one JSON object");
	}

	private InputException wholeArray() {
		return new InputException(file, line, "this is a JSON array, not JSON Lines (one object per line); convert it "
				+ "with: jq -c '.[]' " + file.getFileName() + " > " + converted());
	}

	/** A name for the converted file, beside the input and not the input itself. */
	private String converted() {
		String name = file.getFileName().toString();
		int dot = name.lastIndexOf('.');
		return (dot > 0 ? name.substring(0, dot) : name) + ".lines.jsonl";
	}

	/** An OpenAI Batch line: the body is the request, run as given. */
	private Prompt batchLine(JsonNode node) {
		String url = node.path("url").asString("/v1/chat/completions");
		if (!url.endsWith("/chat/completions")) {
			throw InputException.record(file, line, "this OpenAI Batch line's url is " + url
					+ "; only chat completions (/v1/chat/completions) can be run");
		}
		String method = node.path("method").asString("POST");
		if (!method.equalsIgnoreCase("POST")) {
			throw InputException.record(file, line, "this OpenAI Batch line's method is " + method + "; it must be POST");
		}
		JsonNode body = node.get("body");
		if (body == null || !body.isObject()) {
			throw InputException.record(file, line, "\"body\" must be the request object");
		}
		if (!body.has("messages")) {
			throw InputException.record(file, line, "the body has no \"messages\"; each request needs its conversation");
		}
		String id = idOf(node.get("custom_id"));
		List<Message> messages = messages(body.get("messages"), defaultSystem);
		String model = body.hasNonNull("model") ? body.get("model").asString() : null;
		Map<String, JsonNode> params = new LinkedHashMap<>();
		for (Map.Entry<String, JsonNode> field : body.properties()) {
			// the request's own fields and the transport's are read above or set by the client
			if (!ChatRequest.RESERVED.contains(field.getKey())) {
				params.put(field.getKey(), field.getValue());
			}
		}
		Prompt.Settings settings = new Prompt.Settings(
				InputReaders.temperature(file, line, scalar(body.get("temperature"))),
				InputReaders.maxTokens(file, line, scalar(body.get("max_tokens"))), params, true);
		Map<String, String> values = carried(node, BATCH_RESERVED);
		return new Prompt(recordNumber, line, id, messages, model, values, settings);
	}

	/** The fields carried to the output (and usable in a template), as text. */
	private Map<String, String> carried(JsonNode node, Set<String> reserved) {
		Map<String, String> values = new LinkedHashMap<>();
		for (Map.Entry<String, JsonNode> field : node.properties()) {
			if (!reserved.contains(field.getKey()) || (template != null && field.getKey().equals("prompt"))) {
				JsonNode v = field.getValue();
				values.put(field.getKey(), v.isValueNode() ? v.asString() : JSON.writeValueAsString(v));
			}
		}
		carried.addAll(values.keySet());
		return values;
	}

	private static @Nullable String scalar(@Nullable JsonNode node) {
		return node == null || node.isNull() ? null : node.isValueNode() ? node.asString() : node.toString();
	}

	private String idOf(@Nullable JsonNode id) {
		if (id == null || id.isNull() || id.asString().isBlank()) {
			return Long.toString(recordNumber);
		}
		return id.asString().strip();
	}

	private List<Message> messages(JsonNode array, @Nullable String system) {
		if (!array.isArray() || array.isEmpty()) {
			throw InputException.record(file, line, "\"messages\" must be a non-empty array of {\"role\",\"content\"}");
		}
		List<Message> messages = new ArrayList<>(array.size() + 1);
		boolean hasSystem = false;
		for (JsonNode m : array) {
			String role = m.path("role").asString("");
			JsonNode content = m.get("content");
			if (role.isBlank() || content == null || !content.isString()) {
				throw InputException.record(file, line, "every message needs a \"role\" and a text \"content\"");
			}
			hasSystem |= role.equals("system");
			Map<String, JsonNode> fields = new LinkedHashMap<>();
			m.properties().forEach(f -> {
				if (!f.getKey().equals("role") && !f.getKey().equals("content")) {
					fields.put(f.getKey(), f.getValue());
				}
			});
			messages.add(new Message(role, content.asString(), fields));
		}
		if (!hasSystem && system != null && !system.isBlank()) {
			messages.add(0, Message.system(system));
		}
		Message last = messages.get(messages.size() - 1);
		if (last.role().equals("assistant")) {
			// partial mode: the model continues the assistant's text
			return messages;
		}
		if (!last.role().equals("user")) {
			throw InputException.record(file, line, "the last message must be the user's turn (role \"user\"), or "
					+ "the assistant's for the model to continue");
		}
		if (last.content().isBlank()) {
			throw InputException.record(file, line, "the prompt is empty; fill it in or remove the record");
		}
		return messages;
	}

	@Override
	public @Nullable String lastRecordId() {
		return lastRecordId;
	}

	@Override
	public List<String> carriedColumns() {
		return List.copyOf(carried);
	}

	@Override
	public List<String> assumed() {
		return input.assumed() == null ? List.of() : List.of(input.assumed());
	}

	@Override
	public void close() {
		try {
			reader.close();
		}
		catch (IOException e) {
			// read-only; nothing to lose
		}
	}
}
