package io.promptbatch.core.prompt;

import io.promptbatch.core.chat.Message;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * One input record, ready to send.
 *
 * @param recordNumber 1-based position of the record in its file
 * @param line the line of the file where the record starts (for messages about it)
 * @param id the record's {@code id} (an OpenAI Batch line's {@code custom_id}), or its record number when
 *     it has none
 * @param messages the conversation to send
 * @param model the record's own model, or null
 * @param columns the other columns or fields, carried to the output unchanged, in input order
 * @param settings the record's own request settings
 */
public record Prompt(long recordNumber, long line, String id, List<Message> messages, @Nullable String model,
		Map<String, String> columns, Settings settings) {

	public Prompt {
		messages = List.copyOf(messages);
	}

	/** A record with no request settings of its own but its model. */
	public Prompt(long recordNumber, long line, String id, List<Message> messages, @Nullable String model,
			Map<String, String> columns) {
		this(recordNumber, line, id, messages, model, columns, Settings.NONE);
	}

	/**
	 * The model this record's request names: its own, else the run's; but a model the user named for the
	 * run overrides the one in an OpenAI Batch line's body.
	 */
	public String modelFor(String runModel, boolean runModelGiven) {
		if (model == null || (settings.fromRequestBody() && runModelGiven)) {
			return runModel;
		}
		return model;
	}

	/** The content of the last user message (what a person would call "the prompt"). */
	public String lastUserContent() {
		for (int i = messages.size() - 1; i >= 0; i--) {
			if ("user".equals(messages.get(i).role())) {
				return messages.get(i).content();
			}
		}
		return "";
	}

	/**
	 * A record's own request settings.
	 *
	 * @param temperature the record's sampling temperature, or null
	 * @param maxTokens the record's completion token limit, or null
	 * @param params other request body fields, by name
	 * @param fromRequestBody the record is an OpenAI Batch line whose body is the request: settings given on
	 *     the command line override the body's (for other records the record's settings override the
	 *     command line's)
	 */
	public record Settings(@Nullable Double temperature, @Nullable Integer maxTokens, Map<String, JsonNode> params,
			boolean fromRequestBody) {

		public static final Settings NONE = new Settings(null, null, Map.of(), false);

		public Settings {
			params = Map.copyOf(params);
		}
	}
}
