package io.promptbatch.core.client.batchapi;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import org.jspecify.annotations.Nullable;

/**
 * A file at the provider ({@code "object":"file"}).
 *
 * @param id the provider's id ({@code file-...})
 * @param bytes its size
 * @param createdAt when it was uploaded, epoch seconds
 * @param filename the name the client gave it
 * @param purpose what it is for ({@code batch})
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record BatchFile(String id, long bytes, long createdAt, @Nullable String filename, @Nullable String purpose) {
}
