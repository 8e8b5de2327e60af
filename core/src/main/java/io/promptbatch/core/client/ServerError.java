package io.promptbatch.core.client;

import org.jspecify.annotations.Nullable;

/**
 * What the server said about an error, beyond its status, code and message.
 *
 * @param type the error's {@code type}, when it has one ({@code invalid_request_error},
 *     {@code exceed_context_size_error})
 * @param body the error body as received (the HTTP response's, or a stream's error event), when it was
 *     a JSON object; an OpenAI Batch output line carries it as is
 */
public record ServerError(@Nullable String type, @Nullable String body) {
}
