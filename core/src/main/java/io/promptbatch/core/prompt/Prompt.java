package io.promptbatch.core.prompt;

import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * One input record, ready to send.
 *
 * @param recordNumber 1-based position of the record in its file
 * @param line the line of the file where the record starts (for messages about it)
 * @param id the record's {@code id}, or its record number when it has none
 * @param messages the conversation to send
 * @param model the record's own model, overriding the run's, or null
 * @param columns the other columns or fields, carried to the output unchanged, in input order
 */
public record Prompt(long recordNumber, long line, String id, List<Message> messages, @Nullable String model,
		Map<String, String> columns) {

	public Prompt {
		messages = List.copyOf(messages);
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
}
