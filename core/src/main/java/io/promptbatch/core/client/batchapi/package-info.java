/**
 * A provider's Batch API ({@code /files} and {@code /batches}, OpenAI's shape, which Moonshot follows): the client,
 * its file and batch objects, and the lines of the output and error files read back as answers or errors.
 */
@NullMarked
package io.promptbatch.core.client.batchapi;

import org.jspecify.annotations.NullMarked;
