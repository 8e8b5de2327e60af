package io.promptbatch.core.client.batchapi;

import io.promptbatch.core.client.ChatException;
import io.promptbatch.core.client.internal.ErrorMapper;
import io.promptbatch.core.client.internal.PlainHttpTls;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * The exchanges of {@link BatchApiClient}, each tried once: a request with the key and the timeout, its 2xx body or
 * its failure as the chat client's {@link ChatException}, a file uploaded as multipart streamed from disk, a result
 * file streamed to disk. Thread-safe.
 */
final class BatchHttp {

	private final String base;
	private final @Nullable String apiKey;
	private final Duration timeout;
	private final ErrorMapper errors;
	private final HttpClient http;

	/** @param base the base URL without a trailing slash */
	BatchHttp(String base, @Nullable String apiKey, Duration timeout, ErrorMapper errors) {
		this.base = base;
		this.apiKey = apiKey;
		this.timeout = timeout;
		this.errors = errors;
		HttpClient.Builder http = HttpClient.newBuilder()
			.version(HttpClient.Version.HTTP_1_1)
			.connectTimeout(Duration.ofSeconds(10));
		if (base.startsWith("http:")) {
			http.sslContext(new PlainHttpTls()).sslParameters(PlainHttpTls.parameters());
		}
		this.http = http.build();
	}

	/** Who the client talks to ({@code host:port}), for messages. */
	String target() {
		return URI.create(base).getAuthority();
	}

	HttpRequest.Builder request(String path) {
		HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path))
			.timeout(timeout)
			.header("Accept", "application/json");
		if (apiKey != null) {
			request.header("Authorization", "Bearer " + apiKey);
		}
		return request;
	}

	byte[] fetch(String path) {
		return send(request(path).GET());
	}

	/** One exchange: the 2xx body, or the failure as the chat client's {@link ChatException}. */
	byte[] send(HttpRequest.Builder request) {
		HttpResponse<byte[]> response = exchange(request, HttpResponse.BodyHandlers.ofByteArray());
		if (response.statusCode() / 100 != 2) {
			throw errors.fromResponse(response.statusCode(), response.headers(), response.body());
		}
		return response.body();
	}

	private <T> HttpResponse<T> exchange(HttpRequest.Builder request, HttpResponse.BodyHandler<T> handler) {
		try {
			return http.send(request.build(), handler);
		}
		catch (IOException e) {
			throw errors.fromTransport(e, target(), timeout);
		}
		catch (InterruptedException e) {
			Thread.currentThread().interrupt();
			throw errors.fromTransport(e, target(), timeout);
		}
	}

	byte[] postFile(Path file, String filename) {
		String boundary = "promptbatch-" + UUID.randomUUID();
		String head = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n--"
				+ boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + filename.replace("\"", "")
				+ "\"\r\nContent-Type: application/jsonl\r\n\r\n";
		String tail = "\r\n--" + boundary + "--\r\n";
		HttpRequest.BodyPublisher content;
		try {
			content = HttpRequest.BodyPublishers.ofFile(file);
		}
		catch (IOException e) {
			throw new UncheckedIOException(e);
		}
		long bytes;
		try {
			bytes = Files.size(file);
		}
		catch (IOException e) {
			throw new UncheckedIOException(e);
		}
		// an upload of many megabytes takes longer than an answer's timeout: a minute per 10 MB more
		Duration uploadTimeout = timeout.plusSeconds(6 * (bytes >> 20));
		return send(request("/files").timeout(uploadTimeout)
			.header("Content-Type", "multipart/form-data; boundary=" + boundary)
			.POST(HttpRequest.BodyPublishers.concat(HttpRequest.BodyPublishers.ofString(head), content,
					HttpRequest.BodyPublishers.ofString(tail))));
	}

	/** Writes the content at {@code path} to {@code target} as it arrives (replacing what was there). */
	Path download(String path, Path target) {
		HttpResponse<Object> response = exchange(request(path).GET(),
				info -> info.statusCode() / 100 == 2
						? HttpResponse.BodySubscribers.mapping(HttpResponse.BodySubscribers.ofFile(target,
								StandardOpenOption.CREATE, StandardOpenOption.WRITE,
								StandardOpenOption.TRUNCATE_EXISTING), p -> (Object) p)
						: HttpResponse.BodySubscribers.mapping(HttpResponse.BodySubscribers.ofByteArray(),
								b -> (Object) b));
		if (response.statusCode() / 100 != 2) {
			throw errors.fromResponse(response.statusCode(), response.headers(), (byte[]) response.body());
		}
		return target;
	}
}
