package io.promptbatch.simulator;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;

/**
 * What the simulator reads from a chat request's messages: every message's text, the last user
 * message (which the answer repeats and whose directives steer it) and how many user turns there were.
 *
 * @param contents the text of each message, in order
 * @param lastUser the last user message's text, empty when there is none
 * @param userTurns the number of user messages
 */
record Conversation(List<String> contents, String lastUser, int userTurns) {

	private static final Pattern STATUS_DIRECTIVE = Pattern.compile("\\[\\[sim:status=(\\d{3})]]");

	static Conversation of(JsonNode request) {
		List<String> contents = new ArrayList<>();
		String lastUser = "";
		int userTurns = 0;
		for (JsonNode message : request.path("messages")) {
			String content = message.path("content").asString("");
			contents.add(content);
			if ("user".equals(message.path("role").asString(""))) {
				lastUser = content;
				userTurns++;
			}
		}
		return new Conversation(List.copyOf(contents), lastUser, userTurns);
	}

	/** The status a {@code [[sim:status=N]]} directive in the last user message asks for, else 0. */
	int directedStatus() {
		Matcher status = STATUS_DIRECTIVE.matcher(lastUser);
		return status.find() ? Integer.parseInt(status.group(1)) : 0;
	}
}
