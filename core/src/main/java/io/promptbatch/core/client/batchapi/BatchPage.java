package io.promptbatch.core.client.batchapi;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One page of {@code GET /batches}, newest first.
 *
 * @param lastId the id to ask for the next page after
 * @param hasMore whether there is a next page
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record BatchPage(List<Batch> data, @Nullable String firstId, @Nullable String lastId, boolean hasMore) {
}
