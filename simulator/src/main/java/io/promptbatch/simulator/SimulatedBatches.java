package io.promptbatch.simulator;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * The batches of the simulator's Batch API, in memory for the simulator's life: created from an
 * uploaded file, read (each read moves a batch on to where the clock says it is), listed newest first,
 * cancelled.
 */
final class SimulatedBatches {

	/** The most batches one list page holds, and the default. */
	static final int MAX_LIMIT = 100;

	static final int DEFAULT_LIMIT = 20;

	private final SimulatorConfig config;
	private final BatchFiles files;
	private final Function<JsonNode, ChatOutcome> answerer;
	private final Map<String, SimulatedBatch> batches = new LinkedHashMap<>();
	private int created;

	SimulatedBatches(SimulatorConfig config, BatchFiles files, Function<JsonNode, ChatOutcome> answerer) {
		this.config = config;
		this.files = files;
		this.answerer = answerer;
	}

	/**
	 * Creates a batch from {@code POST /batches}' body; its lines are checked now and the outcome shown
	 * when its validation ends.
	 * @throws BatchRequestException when the request itself is wrong (no such file, wrong endpoint or
	 * window, bad metadata)
	 */
	SimulatedBatch create(JsonNode request) {
		String fileId = request.path("input_file_id").asString("");
		BatchFiles.StoredFile file = fileId.isEmpty() ? null : files.get(fileId);
		if (file == null) {
			throw invalid("file_not_found", fileId.isEmpty() ? "input_file_id is required"
					: "input_file_id '" + fileId + "' names no file; upload it first with POST /files");
		}
		if (!BatchFiles.BATCH.equals(file.purpose())) {
			throw invalid("invalid_file_purpose", "input_file_id '" + fileId + "' has purpose '" + file.purpose()
					+ "'; a batch's input must be uploaded with purpose batch");
		}
		String endpoint = request.path("endpoint").asString("");
		if (!BatchInput.CHAT_COMPLETIONS.equals(endpoint)) {
			throw invalid("invalid_endpoint", "endpoint must be " + BatchInput.CHAT_COMPLETIONS + ", was '" + endpoint + "'");
		}
		String window = request.path("completion_window").asString("");
		String refusal = config.batchProvider.refusesWindow(window);
		if (refusal != null) {
			throw invalid("invalid_completion_window", refusal);
		}
		JsonNode metadata = request.get("metadata");
		checkMetadata(metadata);
		BatchInput input = BatchInput.read(file.content(), config.batchProvider, config.batchMaxLines);
		long run = config.batchDuration.toNanos();
		Duration expire = config.batchExpireAfter;
		synchronized (batches) {
			created++;
			boolean expires = expire != null && (config.batchExpireFirst == 0 || created <= config.batchExpireFirst);
			SimulatedBatch.Timing timing = new SimulatedBatch.Timing(run / 10, run, run / 10,
					expires ? expire.toNanos() : Long.MAX_VALUE);
			String id = String.format("batch_sim%06d", created);
			SimulatedBatch batch = new SimulatedBatch(id, fileId, window, metadata == null || metadata.isNull() ? null
					: metadata, input, order(input.lines().size(), config.seed + created), timing, answerer, files,
					System.nanoTime());
			batches.put(id, batch);
			return batch;
		}
	}

	/** The batch, moved on to now. */
	SimulatedBatch get(String id) {
		SimulatedBatch batch;
		synchronized (batches) {
			batch = batches.get(id);
		}
		if (batch == null) {
			throw new BatchRequestException(404, "not_found", "No batch with id '" + id + "'");
		}
		batch.advance(System.nanoTime());
		return batch;
	}

	/**
	 * A page of batches, newest first, after the batch {@code after} when given.
	 * @return the page, and whether more follow it
	 */
	Page list(@Nullable String after, int limit) {
		if (limit < 1 || limit > MAX_LIMIT) {
			throw invalid("invalid_limit", "limit must be between 1 and " + MAX_LIMIT + ", was " + limit);
		}
		List<SimulatedBatch> newestFirst = new ArrayList<>();
		synchronized (batches) {
			for (SimulatedBatch batch : batches.values()) {
				newestFirst.add(0, batch);
			}
		}
		int from = 0;
		if (after != null) {
			from = -1;
			for (int i = 0; i < newestFirst.size(); i++) {
				if (newestFirst.get(i).id().equals(after)) {
					from = i + 1;
				}
			}
			if (from < 0) {
				throw invalid("invalid_after", "after '" + after + "' names no batch; pass the last_id of the previous page");
			}
		}
		int to = Math.min(newestFirst.size(), from + limit);
		List<SimulatedBatch> page = newestFirst.subList(from, to);
		long now = System.nanoTime();
		page.forEach(batch -> batch.advance(now));
		return new Page(List.copyOf(page), to < newestFirst.size());
	}

	/** One page of {@link #list}. */
	record Page(List<SimulatedBatch> batches, boolean hasMore) {
	}

	/**
	 * Cancels a batch.
	 * @throws BatchRequestException when there is no such batch or it can no longer be cancelled
	 */
	SimulatedBatch cancel(String id) {
		SimulatedBatch batch = get(id);
		if (!batch.cancel(System.nanoTime())) {
			throw invalid("invalid_status", "Batch '" + id + "' is " + batch.status().wire()
					+ "; only validating, in_progress and finalizing batches can be cancelled");
		}
		return batch;
	}

	/** OpenAI's metadata rules: at most 16 pairs, string values, keys up to 64 and values up to 512 characters. */
	private static void checkMetadata(@Nullable JsonNode metadata) {
		if (metadata == null || metadata.isNull()) {
			return;
		}
		if (!metadata.isObject() || metadata.size() > 16) {
			throw invalid("invalid_metadata", "metadata must be an object of at most 16 string pairs");
		}
		for (Map.Entry<String, JsonNode> pair : metadata.properties()) {
			if (pair.getKey().length() > 64 || !pair.getValue().isString() || pair.getValue().asString().length() > 512) {
				throw invalid("invalid_metadata", "metadata '" + pair.getKey()
						+ "' must be a string of at most 512 characters under a key of at most 64");
			}
		}
	}

	/** The order the lines are answered in: a seeded shuffle, never the file's own order when there are two or more. */
	private static int[] order(int n, long seed) {
		int[] order = new int[n];
		for (int i = 0; i < n; i++) {
			order[i] = i;
		}
		SplittableRandom random = new SplittableRandom(seed);
		for (int i = n - 1; i > 0; i--) {
			int j = random.nextInt(i + 1);
			int t = order[i];
			order[i] = order[j];
			order[j] = t;
		}
		boolean same = true;
		for (int i = 0; i < n && same; i++) {
			same = order[i] == i;
		}
		if (same && n > 1) {
			order[0] = 1;
			order[1] = 0;
		}
		return order;
	}

	private static BatchRequestException invalid(String code, String message) {
		return new BatchRequestException(400, code, message);
	}
}
