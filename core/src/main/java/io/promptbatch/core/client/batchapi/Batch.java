package io.promptbatch.core.client.batchapi;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A batch at the provider ({@code "object":"batch"}); times are epoch seconds, null until they happen.
 *
 * @param id the provider's id ({@code batch_...})
 * @param status validating, failed, in_progress, finalizing, completed, expired, cancelling or cancelled
 * @param errors why validation failed, line by line; null when it did not
 * @param outputFileId the answered lines, once there are any
 * @param errorFileId the lines refused, failed or not run, once there are any
 * @param requestCounts lines in all, answered and failed so far
 * @param metadata what the client set when it created the batch
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record Batch(String id, String status, @Nullable String endpoint, @Nullable Errors errors,
		@Nullable String inputFileId, @Nullable String completionWindow, @Nullable String outputFileId,
		@Nullable String errorFileId, @Nullable Long createdAt, @Nullable Long inProgressAt, @Nullable Long expiresAt,
		@Nullable Long finalizingAt, @Nullable Long completedAt, @Nullable Long failedAt, @Nullable Long expiredAt,
		@Nullable Long cancellingAt, @Nullable Long cancelledAt, @Nullable RequestCounts requestCounts,
		@Nullable Map<String, String> metadata) {

	/** The statuses after which a batch changes no more. */
	public static final Set<String> FINAL = Set.of("failed", "completed", "expired", "cancelled");

	/** Whether the batch has ended (completed, failed validation, expired or was cancelled). */
	public boolean done() {
		return FINAL.contains(status);
	}

	/** The metadata value of {@code key}, or null. */
	public @Nullable String meta(String key) {
		return metadata == null ? null : metadata.get(key);
	}

	/** The validation errors, line by line (none when there were none). */
	public List<LineError> lineErrors() {
		return errors == null || errors.data() == null ? List.of() : errors.data();
	}

	/** @param total lines in the batch; {@code completed} answered; {@code failed} refused or failed */
	@JsonIgnoreProperties(ignoreUnknown = true)
	public record RequestCounts(long total, long completed, long failed) {
	}

	@JsonIgnoreProperties(ignoreUnknown = true)
	public record Errors(@Nullable List<LineError> data) {
	}

	/**
	 * One reason a batch failed validation.
	 * @param line the input file's line (1-based), when the error is about one
	 */
	@JsonIgnoreProperties(ignoreUnknown = true)
	public record LineError(@Nullable String code, @Nullable String message, @Nullable String param,
			@Nullable Long line) {
	}
}
