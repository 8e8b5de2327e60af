/**
 * The promptbatch Spring Batch job: configuration, run specification and launching.
 */
@NullMarked
package io.promptbatch.batch;

import org.jspecify.annotations.NullMarked;
