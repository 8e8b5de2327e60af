package io.promptbatch.core.prompt;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads JSON Lines: {@code {"id":..,"prompt":".."}} or {@code {"id":..,"messages":[..]}}, one object
 * per line; blank lines are skipped. Other scalar fields are template variables carried to the
 * output.
 */
final class JsonlPromptReader implements PromptReader {

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private static final Set<String> RESERVED = Set.of("id", "prompt", "messages", "system", "model");

	private final Path file;
	private final BufferedReader reader;
	private final @Nullable PromptTemplate template;
	private final @Nullable String defaultSystem;
	private final Set<String> carried = new LinkedHashSet<>();
	private long line;
	private long recordNumber;

	JsonlPromptReader(Path file, Reader reader, PromptOptions options) {
		this.file = file;
		this.reader = new BufferedReader(reader, 1 << 16);
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
			throw InputReaders.notUtf8(file, line, e);
		}
	}

	@Override
	public @Nullable Prompt read() {
		String text = nextLine();
		if (text == null) {
			return null;
		}
		recordNumber++;
		JsonNode node;
		try {
			node = JSON.readTree(text);
		}
		catch (JacksonException e) {
			throw InputException.record(file, line, "not valid JSON (" + e.getOriginalMessage()
					+ "); each line must be one JSON object");
		}
		if (node == null || !node.isObject()) {
			throw InputException.record(file, line, "each line must be a JSON object, this one is "
					+ (node == null ? "empty" : node.getNodeType().toString().toLowerCase(java.util.Locale.ROOT)));
		}
		Map<String, String> values = new LinkedHashMap<>();
		for (Map.Entry<String, JsonNode> field : node.properties()) {
			if (!RESERVED.contains(field.getKey()) || (template != null && field.getKey().equals("prompt"))) {
				JsonNode v = field.getValue();
				values.put(field.getKey(), v.isValueNode() ? v.asString() : JSON.writeValueAsString(v));
			}
		}
		carried.addAll(values.keySet());
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
			throw InputException.record(file, line, "no \"prompt\" or \"messages\" field; each line needs one "
					+ "(or render prompts with --template)");
		}
		return new Prompt(recordNumber, line, id, messages, model, values);
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
			messages.add(new Message(role, content.asString()));
		}
		if (!hasSystem && system != null && !system.isBlank()) {
			messages.add(0, Message.system(system));
		}
		if (!messages.get(messages.size() - 1).role().equals("user")) {
			throw InputException.record(file, line, "the last message must be the user's turn (role \"user\")");
		}
		if (messages.get(messages.size() - 1).content().isBlank()) {
			throw InputException.record(file, line, "the prompt is empty; fill it in or remove the record");
		}
		return messages;
	}

	@Override
	public List<String> carriedColumns() {
		return List.copyOf(carried);
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
