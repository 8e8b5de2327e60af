/**
 * The sums over answer rows (counts, tokens, cost, latency) that a run's summary and report give.
 */
@NullMarked
package io.promptbatch.core.stats;

import org.jspecify.annotations.NullMarked;
