/**
 * Writing answer rows to JSONL or CSV, and the run's running totals.
 */
@NullMarked
package io.promptbatch.batch.output;

import org.jspecify.annotations.NullMarked;
