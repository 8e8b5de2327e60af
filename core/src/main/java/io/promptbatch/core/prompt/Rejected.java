package io.promptbatch.core.prompt;

import org.jspecify.annotations.Nullable;

/**
 * A record left out by {@code --skip-invalid}, with the reason.
 *
 * @param line the line where the record starts
 * @param id the record's id when it could be read, or null
 * @param reason what is wrong with it
 */
public record Rejected(long line, @Nullable String id, String reason) {
}
