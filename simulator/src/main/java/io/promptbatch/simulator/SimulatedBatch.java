package io.promptbatch.simulator;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * One batch and its life: {@code validating} a tenth of the run time, then {@code failed} (bad lines)
 * or {@code in_progress} with its lines answered at an even pace over the run time, in an order other
 * than the file's, then {@code finalizing} a tenth of it and {@code completed}; {@code expired} at the
 * expiry, or {@code cancelling} and {@code cancelled} when asked, with the lines answered so far in the
 * output file and the others in the error file.
 *
 * <p>It moves on when it is read ({@link #advance}), to where the clock says it is, with the timestamps
 * of when each step was due; so nothing runs in the background.
 */
final class SimulatedBatch {

	enum Status {
		VALIDATING, FAILED, IN_PROGRESS, FINALIZING, COMPLETED, EXPIRED, CANCELLING, CANCELLED;

		String wire() {
			return name().toLowerCase(Locale.ROOT);
		}
	}

	/** The times of a batch's steps, in nanoseconds from its creation. */
	record Timing(long validateNanos, long runNanos, long finalizeNanos, long expireNanos) {
	}

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private final String id;
	private final String inputFileId;
	private final String window;
	private final @Nullable JsonNode metadata;
	private final BatchInput input;
	private final int[] order;
	private final Timing timing;
	private final Function<JsonNode, ChatOutcome> answerer;
	private final BatchFiles files;
	private final long createdNanos;
	private final long createdMillis;
	private final long expiresAt;
	private final Map<String, Long> stamps = new LinkedHashMap<>();
	private final List<String> outputLines = new ArrayList<>();
	private final List<String> errorLines = new ArrayList<>();

	private Status status = Status.VALIDATING;
	private long phaseStart;
	private int done;
	private int completed;
	private int failed;
	private @Nullable String outputFileId;
	private @Nullable String errorFileId;

	SimulatedBatch(String id, String inputFileId, String window, @Nullable JsonNode metadata, BatchInput input,
			int[] order, Timing timing, Function<JsonNode, ChatOutcome> answerer, BatchFiles files, long nowNanos) {
		this.id = id;
		this.inputFileId = inputFileId;
		this.window = window;
		this.metadata = metadata;
		this.input = input;
		this.order = order;
		this.timing = timing;
		this.answerer = answerer;
		this.files = files;
		this.createdNanos = nowNanos;
		this.createdMillis = System.currentTimeMillis();
		long windowMillis = BatchProvider.windowLength(window).toMillis();
		this.expiresAt = (createdMillis + Math.min(windowMillis, timing.expireNanos() / 1_000_000)) / 1000;
	}

	String id() {
		return id;
	}

	/** Moves the batch on to where it is at {@code now} (nanoseconds, as {@link System#nanoTime()}). */
	synchronized void advance(long now) {
		long expireAt = timing.expireNanos() == Long.MAX_VALUE ? Long.MAX_VALUE : createdNanos + timing.expireNanos();
		while (true) {
			switch (status) {
				case VALIDATING -> {
					long end = createdNanos + timing.validateNanos();
					if (expireAt <= end && expireAt <= now) {
						finish(Status.EXPIRED, expireAt);
						return;
					}
					if (now < end) {
						return;
					}
					if (!input.errors().isEmpty()) {
						status = Status.FAILED;
						stamp("failed_at", end);
						return;
					}
					status = Status.IN_PROGRESS;
					stamp("in_progress_at", end);
					phaseStart = end;
				}
				case IN_PROGRESS -> {
					long end = phaseStart + timing.runNanos();
					if (expireAt < end && expireAt <= now) {
						answerUpTo(doneAt(expireAt));
						finish(Status.EXPIRED, expireAt);
						return;
					}
					if (now < end) {
						answerUpTo(doneAt(now));
						return;
					}
					answerUpTo(order.length);
					status = Status.FINALIZING;
					stamp("finalizing_at", end);
					phaseStart = end;
				}
				case FINALIZING -> {
					long end = phaseStart + timing.finalizeNanos();
					if (now >= end) {
						finish(Status.COMPLETED, end);
					}
					return;
				}
				case CANCELLING -> {
					long end = phaseStart + timing.finalizeNanos();
					if (now >= end) {
						finish(Status.CANCELLED, end);
					}
					return;
				}
				default -> {
					return;
				}
			}
		}
	}

	/**
	 * Cancels the batch at {@code now}: the lines answered so far stay answered, no more are.
	 * @return false when the batch is past being cancelled (only validating, in_progress and finalizing
	 * batches can be)
	 */
	synchronized boolean cancel(long now) {
		advance(now);
		if (status != Status.VALIDATING && status != Status.IN_PROGRESS && status != Status.FINALIZING) {
			return false;
		}
		status = Status.CANCELLING;
		stamp("cancelling_at", now);
		phaseStart = now;
		return true;
	}

	synchronized Status status() {
		return status;
	}

	private int doneAt(long t) {
		if (timing.runNanos() == 0) {
			return order.length;
		}
		double share = (double) (t - phaseStart) / timing.runNanos();
		return (int) Math.max(0, Math.min(order.length, Math.floor(order.length * share)));
	}

	private void answerUpTo(int target) {
		for (; done < target; done++) {
			BatchInput.Line line = input.lines().get(order[done]);
			ChatOutcome outcome = answerer.apply(line.body());
			ObjectNode result = result(line, done);
			ObjectNode response = result.putObject("response");
			response.put("status_code", outcome.status());
			response.put("request_id", "req_" + id.substring("batch_".length()) + "_" + (done + 1));
			response.set("body", JSON.readTree(outcome.body()));
			result.putNull("error");
			if (outcome.status() == 200) {
				outputLines.add(JSON.writeValueAsString(result));
				completed++;
			}
			else {
				errorLines.add(JSON.writeValueAsString(result));
				failed++;
			}
		}
	}

	private ObjectNode result(BatchInput.Line line, int index) {
		ObjectNode result = JSON.createObjectNode();
		result.put("id", "batch_req_" + id.substring("batch_".length()) + "_" + (index + 1));
		result.put("custom_id", line.customId());
		return result;
	}

	/** Ends the batch: the lines not answered go to the error file (expired or cancelled), the files are written. */
	private void finish(Status end, long at) {
		String code = end == Status.EXPIRED ? "batch_expired" : "batch_cancelled";
		String message = end == Status.EXPIRED
				? "This request could not be executed before the completion window expired."
				: "This request was not executed because the batch was cancelled.";
		for (int i = done; i < order.length; i++) {
			ObjectNode result = result(input.lines().get(order[i]), i);
			result.putNull("response");
			result.putObject("error").put("code", code).put("message", message);
			errorLines.add(JSON.writeValueAsString(result));
		}
		outputFileId = write(outputLines, "output");
		errorFileId = write(errorLines, "error");
		status = end;
		stamp(end.wire() + "_at", at);
	}

	private @Nullable String write(List<String> lines, String kind) {
		if (lines.isEmpty()) {
			return null;
		}
		String content = String.join("\n", lines) + "\n";
		return files.store(id + "_" + kind + ".jsonl", BatchFiles.BATCH_OUTPUT, content.getBytes(StandardCharsets.UTF_8))
			.id();
	}

	private void stamp(String field, long atNanos) {
		stamps.put(field, (createdMillis + (atNanos - createdNanos) / 1_000_000) / 1000);
	}

	/** The batch object, as it stands. */
	synchronized ObjectNode toJson() {
		ObjectNode batch = JSON.createObjectNode();
		batch.put("id", id);
		batch.put("object", "batch");
		batch.put("endpoint", BatchInput.CHAT_COMPLETIONS);
		if (status == Status.FAILED) {
			ObjectNode errors = batch.putObject("errors");
			errors.put("object", "list");
			ArrayNode data = errors.putArray("data");
			for (BatchInput.LineError error : input.errors()) {
				data.addObject().put("code", error.code()).put("message", error.message()).put("param", error.param())
					.put("line", error.line());
			}
		}
		else {
			batch.putNull("errors");
		}
		batch.put("input_file_id", inputFileId);
		batch.put("completion_window", window);
		batch.put("status", status.wire());
		batch.put("output_file_id", outputFileId);
		batch.put("error_file_id", errorFileId);
		batch.put("created_at", createdMillis / 1000);
		for (String field : List.of("in_progress_at", "expires_at", "finalizing_at", "completed_at", "failed_at",
				"expired_at", "cancelling_at", "cancelled_at")) {
			if (field.equals("expires_at")) {
				batch.put(field, expiresAt);
			}
			else {
				batch.put(field, stamps.get(field));
			}
		}
		ObjectNode counts = batch.putObject("request_counts");
		boolean counted = status != Status.VALIDATING && status != Status.FAILED;
		counts.put("total", counted ? order.length : 0);
		counts.put("completed", completed);
		counts.put("failed", failed);
		if (metadata == null) {
			batch.putNull("metadata");
		}
		else {
			batch.set("metadata", metadata);
		}
		return batch;
	}
}
