package io.promptbatch.core.client;

import io.promptbatch.core.chat.ChatRequest;
import io.promptbatch.core.client.internal.WireFormat;

/**
 * A request's body as the client sends it (fields always in the same order, so equal requests give
 * equal bytes) and its fingerprint, for callers that journal or cache answers by request.
 */
public final class RequestBody {

	private RequestBody() {
	}

	/** The body {@link ChatClient#send(ChatRequest, byte[])} sends for this request when not streaming. */
	public static byte[] of(ChatRequest request) {
		return WireFormat.requestBody(request);
	}

	/**
	 * SHA-256 of the base URL and a request body from {@link #of}: equal fingerprints mean the same
	 * request to the same endpoint.
	 */
	public static String fingerprint(String baseUrl, byte[] body) {
		return WireFormat.fingerprint(baseUrl, body);
	}
}
