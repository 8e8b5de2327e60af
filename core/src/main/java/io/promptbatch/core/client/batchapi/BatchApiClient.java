package io.promptbatch.core.client.batchapi;

import dev.failsafe.Failsafe;
import dev.failsafe.FailsafeException;
import dev.failsafe.RetryPolicy;
import io.promptbatch.core.client.internal.ErrorMapper;
import io.promptbatch.core.client.internal.Retries;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * A provider's Batch API: files uploaded ({@code POST /files}, multipart, streamed from disk), batches created,
 * read, listed and cancelled, and result files downloaded to disk (streamed, never held whole). Errors are the
 * chat client's ({@link ErrorMapper}): retriable, row-level or fatal. Reads and cancels are retried with the chat
 * client's one policy ({@link Retries}). An upload or a create is not idempotent: before trying one again after a
 * failure, which may have been a success whose answer was lost (timeout, reset, 5xx), the client looks for the file
 * by its name, or for the batch by its metadata, and takes what it finds. Each exchange is {@link BatchHttp}'s.
 * Thread-safe.
 */
public final class BatchApiClient implements AutoCloseable {

	private static final Logger log = LoggerFactory.getLogger(BatchApiClient.class);

	static final JsonMapper JSON = JsonMapper.builder()
		.propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
		.disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
		.build();

	/** The most {@code GET /batches} gives per page. */
	public static final int PAGE_LIMIT = 100;

	private final RetryPolicy<Object> retries;
	private final BatchHttp http;

	private BatchApiClient(Builder b) {
		String base = b.baseUrl.endsWith("/") ? b.baseUrl.substring(0, b.baseUrl.length() - 1) : b.baseUrl;
		this.http = new BatchHttp(base, b.apiKey, b.timeout, new ErrorMapper(b.keyHint));
		this.retries = Retries.policy(b.maxRetries, b.maxRetryTime, b.initialBackoff, b.maxBackoff);
	}

	public static Builder builder() {
		return new Builder();
	}

	/** Who the client talks to ({@code host:port}), for messages. */
	public String target() {
		return http.target();
	}

	/**
	 * Uploads a file of batch lines under {@code filename} ({@code purpose=batch}). After a failure it looks for a
	 * file of that name before uploading again, so that a lost answer does not leave two files.
	 * @param filename the name the provider keeps; unique per run and part, so that it finds the file again
	 */
	public BatchFile upload(Path file, String filename) {
		return once(() -> findFile(filename), () -> read(http.postFile(file, filename), BatchFile.class), "upload of " + filename);
	}

	/** The batch file named {@code filename}, if the provider has one. */
	public Optional<BatchFile> findFile(String filename) {
		ObjectNode list = retried(() -> read(http.fetch("/files?purpose=batch"), ObjectNode.class));
		for (var node : list.path("data")) {
			if (filename.equals(node.path("filename").asString(""))) {
				return Optional.of(JSON.treeToValue(node, BatchFile.class));
			}
		}
		return Optional.empty();
	}

	/**
	 * Creates a batch of the uploaded file's lines for {@code /v1/chat/completions}. After a failure it looks for a
	 * batch with this metadata before creating again, so that a lost answer does not make a second batch.
	 * @param metadata names the run and the part, uniquely: how the batch is found again
	 */
	public Batch create(String inputFileId, String completionWindow, Map<String, String> metadata) {
		ObjectNode body = JSON.createObjectNode();
		body.put("input_file_id", inputFileId);
		body.put("endpoint", "/v1/chat/completions");
		body.put("completion_window", completionWindow);
		ObjectNode meta = body.putObject("metadata");
		metadata.forEach(meta::put);
		byte[] json = JSON.writeValueAsBytes(body);
		return once(() -> findBatch(metadata), () -> read(http.send(http.request("/batches").header("Content-Type",
				"application/json").POST(HttpRequest.BodyPublishers.ofByteArray(json))), Batch.class),
				"creation of the batch of " + inputFileId);
	}

	/** The newest batch whose metadata holds all of {@code metadata}, looking through every page. */
	public Optional<Batch> findBatch(Map<String, String> metadata) {
		return findBatch(metadata, 0);
	}

	/**
	 * The newest batch whose metadata holds all of {@code metadata}, looking through the pages (newest first) until
	 * the batches are older than {@code notBefore} (epoch seconds; a day earlier, for clocks that differ).
	 */
	public Optional<Batch> findBatch(Map<String, String> metadata, long notBefore) {
		long cutoff = notBefore - 86_400;
		String after = null;
		while (true) {
			BatchPage page = list(after, PAGE_LIMIT);
			boolean older = false;
			for (Batch b : page.data()) {
				if (b.metadata() != null && b.metadata().entrySet().containsAll(metadata.entrySet())) {
					return Optional.of(b);
				}
				older |= b.createdAt() != null && b.createdAt() < cutoff;
			}
			if (older || !page.hasMore() || page.lastId() == null || page.data().isEmpty()) {
				return Optional.empty();
			}
			after = page.lastId();
		}
	}

	public Batch get(String batchId) {
		return retried(() -> read(http.fetch("/batches/" + encode(batchId)), Batch.class));
	}

	/** One page of the account's batches, newest first, after the batch {@code after} (null: from the newest). */
	public BatchPage list(@Nullable String after, int limit) {
		String query = "/batches?limit=" + limit + (after == null ? "" : "&after=" + encode(after));
		return retried(() -> read(http.fetch(query), BatchPage.class));
	}

	/** Asks the provider to cancel the batch; it is {@code cancelling}, then {@code cancelled}. */
	public Batch cancel(String batchId) {
		return retried(() -> read(http.send(http.request("/batches/" + encode(batchId) + "/cancel")
			.POST(HttpRequest.BodyPublishers.noBody())), Batch.class));
	}

	/** Writes a file's content to {@code target} as it arrives (replacing what was there). */
	public void download(String fileId, Path target) {
		retried(() -> http.download("/files/" + encode(fileId) + "/content", target));
	}

	private <T> T read(byte[] body, Class<T> type) {
		return JSON.readValue(body, type);
	}

	private <T> T retried(Supplier<T> call) {
		try {
			return Failsafe.with(retries).get(call::get);
		}
		catch (FailsafeException e) {
			throw e.getCause() instanceof RuntimeException r ? r : e;
		}
	}

	/**
	 * A call that must not happen twice: tried, and before each retry the {@code lookup} says whether the last try
	 * took effect after all (its answer lost); if it did, that is the result.
	 */
	private <T> T once(Supplier<Optional<T>> lookup, Supplier<T> call, String what) {
		boolean[] tried = { false };
		return retried(() -> {
			if (tried[0]) {
				Optional<T> found = lookup.get();
				if (found.isPresent()) {
					log.info("The {} had succeeded before its answer was lost; using it", what);
					return found.get();
				}
			}
			tried[0] = true;
			return call.get();
		});
	}

	private static String encode(String s) {
		return URLEncoder.encode(s, StandardCharsets.UTF_8);
	}

	/** Nothing to release: the JDK client's threads end with the JVM. */
	@Override
	public void close() {
	}

	/** Builds a {@link BatchApiClient}; each setter checks its argument. */
	public static final class Builder {

		private String baseUrl = "";
		private @Nullable String apiKey;
		private String keyHint = "the API key";
		private Duration timeout = Duration.ofSeconds(60);
		private int maxRetries = 5;
		private Duration maxRetryTime = Duration.ofMinutes(10);
		private Duration initialBackoff = Duration.ofMillis(500);
		private Duration maxBackoff = Duration.ofSeconds(30);

		private Builder() {
		}

		/** The OpenAI-style base URL ({@code .../v1}); {@code /files} and {@code /batches} are appended. */
		public Builder baseUrl(String baseUrl) {
			if (!baseUrl.startsWith("http://") && !baseUrl.startsWith("https://")) {
				throw new IllegalArgumentException("base URL must start with http:// or https://, was " + baseUrl);
			}
			this.baseUrl = baseUrl;
			return this;
		}

		/** The bearer key, or null for a server that needs none; never logged. */
		public Builder apiKey(@Nullable String apiKey) {
			this.apiKey = apiKey;
			return this;
		}

		/** Where the key comes from, for messages about a rejected key; never the key. */
		public Builder keyHint(String keyHint) {
			this.keyHint = keyHint;
			return this;
		}

		public Builder timeout(Duration timeout) {
			if (timeout.isNegative() || timeout.isZero()) {
				throw new IllegalArgumentException("timeout must be positive, was " + timeout);
			}
			this.timeout = timeout;
			return this;
		}

		public Builder maxRetries(int maxRetries) {
			if (maxRetries < 0) {
				throw new IllegalArgumentException("max retries must be at least 0, was " + maxRetries);
			}
			this.maxRetries = maxRetries;
			return this;
		}

		/** The backoff between retries: the first cap, doubled per attempt up to {@code max}. */
		public Builder backoff(Duration initial, Duration max) {
			if (initial.isNegative() || max.compareTo(initial) < 0) {
				throw new IllegalArgumentException("backoff must satisfy 0 <= initial <= max, was " + initial + ", "
						+ max);
			}
			this.initialBackoff = initial;
			this.maxBackoff = max;
			return this;
		}

		public BatchApiClient build() {
			if (baseUrl.isEmpty()) {
				throw new IllegalArgumentException("a base URL is required");
			}
			return new BatchApiClient(this);
		}
	}
}
