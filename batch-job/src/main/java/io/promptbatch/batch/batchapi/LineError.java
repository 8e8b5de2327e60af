package io.promptbatch.batch.batchapi;

import io.promptbatch.core.client.ChatException;
import io.promptbatch.core.client.NonRetriableChatException;
import io.promptbatch.core.client.RetriableChatException;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Why a batch did not answer a line, as the ledger keeps it and as the row's error it becomes: the status, the
 * provider's code and message, and whether it was the provider's doing (retriable) or the request's own.
 */
public record LineError(int status, @Nullable String code, String message, boolean retriable) {

	private static final JsonMapper JSON = JsonMapper.builder().build();

	public static LineError of(ChatException e) {
		String code = e.reason() != null ? e.reason() : e.code();
		return new LineError(e.status(), code, String.valueOf(e.getMessage()), e instanceof RetriableChatException);
	}

	public String json() {
		ObjectNode n = JSON.createObjectNode();
		n.put("status", status);
		n.put("code", code);
		n.put("message", message);
		n.put("retriable", retriable);
		return JSON.writeValueAsString(n);
	}

	public static LineError parse(String json) {
		JsonNode n = JSON.readTree(json);
		JsonNode code = n.get("code");
		return new LineError(n.path("status").asInt(0), code == null || code.isNull() ? null : code.asString(),
				n.path("message").asString(""), n.path("retriable").asBoolean(false));
	}

	/** The row's error: a request the batches could not get answered fails as a live one that ran out of tries. */
	public ChatException toException() {
		String text = retriable ? message + " (not answered by the provider's batches, follow-ups included; run with "
				+ "--batch-fallback live to send such rows live)" : message;
		return retriable ? new RetriableChatException(status, code, text, null, null, null)
				: new NonRetriableChatException(status, code, text, null, null);
	}
}
