package io.promptbatch.simulator;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * One simulated chat completion: the non-streaming body, and the chunks a stream of it sends, which add
 * up to that body. It has {@code n} choices (the request's, 1 by default; choice {@code i > 0} is the
 * first one's answer marked with its sample number), a tool call instead of text when the request has
 * {@code tools} and the last user message carries {@code [[sim:tool]]} (its arguments streamed in
 * fragments), {@code logprobs} per answer piece when the request asks for them, and a
 * {@code system_fingerprint}.
 */
final class SimulatedCompletion {

	static final String TOOL_DIRECTIVE = "[[sim:tool]]";

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private final ObjectNode body;

	/** Content pieces of each choice (none for a tool call), as they are streamed. */
	private final List<String[]> pieces = new ArrayList<>();

	/**
	 * @param answer the first choice's answer, already cut to {@code max_tokens}
	 * @param truncated whether it was cut (finish reason {@code length})
	 */
	SimulatedCompletion(JsonNode request, String id, String model, String lastUser, String answer, boolean truncated,
			@Nullable String reasoning, int promptTokens) {
		body = JSON.createObjectNode();
		body.put("id", id);
		body.put("object", "chat.completion");
		body.put("created", System.currentTimeMillis() / 1000);
		body.put("model", model);
		body.put("system_fingerprint", "fp_sim_" + SimulatedAnswers.fingerprint(model));
		int n = Math.max(1, request.path("n").asInt(1));
		boolean logprobs = request.path("logprobs").asBoolean(false);
		JsonNode tool = request.path("tools").path(0).path("function");
		boolean toolCall = !tool.isMissingNode() && lastUser.contains(TOOL_DIRECTIVE);
		int completionTokens = 0;
		ArrayNode choices = body.putArray("choices");
		for (int i = 0; i < n; i++) {
			ObjectNode choice = choices.addObject();
			choice.put("index", i);
			ObjectNode message = choice.putObject("message");
			message.put("role", "assistant");
			if (reasoning != null) {
				message.put("reasoning_content", reasoning);
				completionTokens += SimulatedAnswers.completionTokensFor(reasoning);
			}
			String[] choicePieces;
			if (toolCall) {
				message.putNull("content");
				String arguments = JSON.writeValueAsString(JSON.createObjectNode()
					.put("query", SimulatedAnswers.answerFor(lastUser))
					.put("sample", i + 1));
				ObjectNode call = message.putArray("tool_calls").addObject();
				call.put("id", "call_" + SimulatedAnswers.fingerprint(lastUser) + "_" + i);
				call.put("type", "function");
				call.putObject("function").put("name", tool.path("name").asString("tool")).put("arguments", arguments);
				completionTokens += SimulatedAnswers.completionTokensFor(arguments);
				choicePieces = new String[0];
			}
			else {
				String text = i == 0 ? answer : answer + " [sample " + (i + 1) + "]";
				message.put("content", text);
				// an answer cut to nothing (the cap spent on reasoning) has no pieces
				choicePieces = text.isEmpty() ? new String[0] : SimulatedAnswers.pieces(text);
				completionTokens += choicePieces.length;
			}
			pieces.add(choicePieces);
			if (logprobs && choicePieces.length > 0) {
				ArrayNode entries = choice.putObject("logprobs").putArray("content");
				for (int k = 0; k < choicePieces.length; k++) {
					entries.add(logprob(choicePieces[k], k));
				}
			}
			else {
				choice.putNull("logprobs");
			}
			choice.put("finish_reason", toolCall ? "tool_calls" : truncated ? "length" : "stop");
		}
		ObjectNode usage = body.putObject("usage");
		usage.put("prompt_tokens", promptTokens);
		usage.put("completion_tokens", completionTokens);
		usage.put("total_tokens", promptTokens + completionTokens);
	}

	private static ObjectNode logprob(String piece, int k) {
		ObjectNode entry = JSON.createObjectNode();
		entry.put("token", piece);
		entry.put("logprob", -0.125 * (k % 4 + 1));
		ArrayNode bytes = entry.putArray("bytes");
		for (byte b : piece.getBytes(StandardCharsets.UTF_8)) {
			bytes.add(b & 0xff);
		}
		entry.putArray("top_logprobs");
		return entry;
	}

	/** The non-streaming body. */
	ObjectNode body() {
		return body;
	}

	/** Content pieces of the first choice: a failing stream breaks off half-way through them. */
	int firstChoicePieces() {
		return pieces.get(0).length;
	}

	/**
	 * The stream's chunks, in order (without {@code [DONE]}); when {@code failAfter >= 0}, only those before
	 * that piece of the first choice.
	 * @param includeUsage usage in a last chunk with no choices; else with the last choice's last chunk
	 */
	List<ObjectNode> chunks(boolean includeUsage, int failAfter) {
		List<ObjectNode> chunks = new ArrayList<>();
		ArrayNode choices = (ArrayNode) body.get("choices");
		for (int i = 0; i < choices.size(); i++) {
			JsonNode choice = choices.get(i);
			JsonNode message = choice.path("message");
			ObjectNode first = JSON.createObjectNode().put("role", "assistant");
			if (message.has("reasoning_content")) {
				first.put("reasoning_content", message.get("reasoning_content").asString());
			}
			chunks.add(chunk(i, first, null, null));
			String[] choicePieces = pieces.get(i);
			for (int k = 0; k < choicePieces.length; k++) {
				if (i == 0 && k == failAfter) {
					return chunks;
				}
				ObjectNode logprobs = null;
				if (choice.get("logprobs").isObject()) {
					logprobs = JSON.createObjectNode();
					logprobs.putArray("content").add(choice.get("logprobs").get("content").get(k));
				}
				chunks.add(chunk(i, JSON.createObjectNode().put("content", choicePieces[k]), logprobs, null));
			}
			int callIndex = 0;
			for (JsonNode call : message.path("tool_calls")) {
				ObjectNode head = JSON.createObjectNode();
				ObjectNode headCall = head.putArray("tool_calls").addObject();
				headCall.put("index", callIndex);
				headCall.put("id", call.get("id").asString());
				headCall.put("type", "function");
				headCall.putObject("function").put("name", call.path("function").path("name").asString())
					.put("arguments", "");
				chunks.add(chunk(i, head, null, null));
				String arguments = call.path("function").path("arguments").asString();
				for (int from = 0; from < arguments.length(); from += 7) {
					ObjectNode fragment = JSON.createObjectNode();
					ObjectNode fragmentCall = fragment.putArray("tool_calls").addObject();
					fragmentCall.put("index", callIndex);
					fragmentCall.putObject("function")
						.put("arguments", arguments.substring(from, Math.min(arguments.length(), from + 7)));
					chunks.add(chunk(i, fragment, null, null));
				}
				callIndex++;
			}
			boolean last = i == choices.size() - 1;
			chunks.add(chunk(i, JSON.createObjectNode(), null, choice.get("finish_reason").asString()));
			if (last && !includeUsage) {
				chunks.get(chunks.size() - 1).set("usage", body.get("usage"));
			}
		}
		if (includeUsage) {
			ObjectNode usage = head();
			usage.putArray("choices");
			usage.set("usage", body.get("usage"));
			chunks.add(usage);
		}
		return chunks;
	}

	private ObjectNode head() {
		ObjectNode chunk = JSON.createObjectNode();
		chunk.put("id", body.get("id").asString());
		chunk.put("object", "chat.completion.chunk");
		chunk.put("created", body.get("created").asLong());
		chunk.put("model", body.get("model").asString());
		chunk.put("system_fingerprint", body.get("system_fingerprint").asString());
		return chunk;
	}

	private ObjectNode chunk(int index, ObjectNode delta, @Nullable ObjectNode logprobs, @Nullable String finishReason) {
		ObjectNode chunk = head();
		ObjectNode choice = chunk.putArray("choices").addObject();
		choice.put("index", index);
		choice.set("delta", delta);
		if (logprobs != null) {
			choice.set("logprobs", logprobs);
		}
		else {
			choice.putNull("logprobs");
		}
		if (finishReason != null) {
			choice.put("finish_reason", finishReason);
		}
		else {
			choice.putNull("finish_reason");
		}
		return chunk;
	}
}
