/**
 * The fan-out stage as a pipeline of named parts (where prompts come from, what the journal or cache already holds,
 * what sends, what prices and scores), which a thin reader adapts to a Spring Batch step.
 */
@NullMarked
package io.promptbatch.batch.fanout;

import org.jspecify.annotations.NullMarked;
