package io.promptbatch.batch.output;

import io.promptbatch.batch.fanout.AnswerRow;
import io.promptbatch.core.chat.Usage;
import io.promptbatch.core.client.ChatException;
import io.promptbatch.core.client.ChatResponse;
import io.promptbatch.core.client.ServerError;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;
import tools.jackson.databind.util.RawValue;

/**
 * Output lines in the OpenAI Batch API's shape, as vLLM's {@code run_batch} also writes them:
 * {@code {"id","custom_id","response":{"status_code","request_id","body"},"error"}}. An answer is a 200
 * response whose body is the provider's chat completion as it came (for a streamed answer, the
 * non-streaming body the stream added up to; rebuilt from the kept fields only for an answer journaled
 * before bodies were kept); a request the server refused is a response with its
 * HTTP status and the server's error body as received; a failure with no HTTP response (connection, timeout, a row the cache
 * could not answer) is in {@code error}, with a null response.
 */
final class OpenAiBatchLines {

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private OpenAiBatchLines() {
	}

	static String line(AnswerRow row) {
		ObjectNode line = JSON.createObjectNode();
		line.put("id", "batch_req_" + row.prompt().recordNumber());
		line.put("custom_id", row.prompt().id());
		ChatResponse r = row.response();
		ChatException error = row.error();
		if (r != null) {
			ObjectNode response = line.putObject("response");
			response.put("status_code", 200);
			response.put("request_id", r.id());
			response.set("body", completion(row, r));
			line.putNull("error");
		}
		else if (error != null && error.status() > 0) {
			ObjectNode response = line.putObject("response");
			response.put("status_code", error.status());
			response.put("request_id", error.requestId());
			response.set("body", errorBody(error));
			line.putNull("error");
		}
		else {
			line.putNull("response");
			ObjectNode e = line.putObject("error");
			e.put("code", error == null || error.code() == null ? "request_failed" : error.code());
			e.put("message", error == null ? "no answer" : error.getMessage());
		}
		return JSON.writeValueAsString(line);
	}

	/** The server's error body as received; one in the same shape when it sent none that was JSON. */
	private static JsonNode errorBody(ChatException error) {
		ServerError server = error.server();
		if (server != null && server.body() != null) {
			try {
				JsonNode body = JSON.readTree(server.body());
				if (body.isObject()) {
					return body;
				}
			}
			catch (JacksonException e) {
				// not JSON after all: one in the same shape below
			}
		}
		ObjectNode body = JSON.createObjectNode();
		ObjectNode e = body.putObject("error");
		e.put("message", error.getMessage());
		e.put("type", error.type());
		e.put("code", error.code());
		return body;
	}

	private static JsonNode completion(AnswerRow row, ChatResponse r) {
		String received = r.body();
		if (received != null) {
			// unchanged when it is one line (a JSON text, checked when it was parsed); a body sent over several
			// lines is written again on one, every field as it came
			return received.indexOf('\n') < 0 && received.indexOf('\r') < 0
					? JSON.getNodeFactory().rawValueNode(new RawValue(received))
					: JSON.readTree(received);
		}
		ObjectNode body = JSON.createObjectNode();
		body.put("id", r.id());
		body.put("object", "chat.completion");
		body.put("model", r.model().isEmpty() ? row.model() : r.model());
		ObjectNode choice = body.putArray("choices").addObject();
		choice.put("index", 0);
		ObjectNode message = choice.putObject("message");
		message.put("role", "assistant");
		message.put("content", r.content());
		if (r.reasoning() != null) {
			message.put("reasoning_content", r.reasoning());
		}
		choice.put("finish_reason", r.finishReason());
		Usage u = r.usage();
		ObjectNode usage = body.putObject("usage");
		usage.put("prompt_tokens", u.promptTokens());
		usage.put("completion_tokens", u.completionTokens());
		usage.put("total_tokens", u.totalTokens());
		if (u.cachedTokens() > 0) {
			usage.putObject("prompt_tokens_details").put("cached_tokens", u.cachedTokens());
		}
		return body;
	}
}
