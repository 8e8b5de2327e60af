package io.promptbatch.core.client.batchapi;

import io.promptbatch.core.client.ChatException;
import io.promptbatch.core.client.ChatResponse;
import io.promptbatch.core.client.RetriableChatException;
import io.promptbatch.core.client.internal.ErrorMapper;
import io.promptbatch.core.client.internal.WireFormat;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpHeaders;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * One line of a batch's output or error file: the answer to the line {@code customId}, or why there is none,
 * classified as a live answer's error would be ({@link ErrorMapper}): a 5xx or a line not run because the batch
 * expired or was cancelled ({@code batch_expired}, {@code batch_cancelled}) is retriable, a 400 is the row's own.
 *
 * @param customId the input line's {@code custom_id}
 * @param response the chat completion, when the line was answered
 * @param error why it was not, when it was not
 */
public record BatchResult(String customId, @Nullable ChatResponse response, @Nullable ChatException error) {

	private static final ErrorMapper ERRORS = new ErrorMapper("the API key");

	private static final HttpHeaders NO_HEADERS = HttpHeaders.of(Map.of(), (a, b) -> true);

	/**
	 * Reads a downloaded output or error file line by line, without holding it whole.
	 * @throws IllegalArgumentException naming the file and line when a line is not a batch result
	 */
	public static void read(Path file, Consumer<BatchResult> each) {
		try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
			String text;
			long line = 0;
			while ((text = in.readLine()) != null) {
				line++;
				if (text.isBlank()) {
					continue;
				}
				BatchResult result;
				try {
					result = parse(text);
				}
				catch (RuntimeException e) {
					throw new IllegalArgumentException(file + ":" + line + ": not a batch result line (" + e.getMessage()
							+ ")", e);
				}
				each.accept(result);
			}
		}
		catch (IOException e) {
			throw new UncheckedIOException(e);
		}
	}

	/** One result line. */
	public static BatchResult parse(String line) {
		JsonNode root = WireFormat.JSON.readTree(line);
		String customId = root.path("custom_id").asString("");
		if (customId.isEmpty()) {
			throw new IllegalArgumentException("no custom_id");
		}
		JsonNode response = root.path("response");
		if (response.isObject()) {
			int status = response.path("status_code").asInt(0);
			JsonNode body = response.path("body");
			byte[] bytes = WireFormat.JSON.writeValueAsBytes(body);
			if (status / 100 == 2) {
				return new BatchResult(customId, WireFormat.parseResponse(bytes), null);
			}
			return new BatchResult(customId, null, ERRORS.fromResponse(status, NO_HEADERS, bytes));
		}
		JsonNode error = root.path("error");
		String code = error.path("code").asString("batch_error");
		String message = error.path("message").asString("the batch did not run this line");
		return new BatchResult(customId, null, new RetriableChatException(0, code, message, null, null, null));
	}
}
