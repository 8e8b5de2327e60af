/**
 * Sending a run's rows through a provider's Batch API: the plan of parts, the ledger that records each external step
 * before and after its call, the step that uploads, creates, polls and collects into the response journal, and the
 * cancel command's work.
 */
@NullMarked
package io.promptbatch.batch.batchapi;

import org.jspecify.annotations.NullMarked;
