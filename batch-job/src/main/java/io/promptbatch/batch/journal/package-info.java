/**
 * The response journal: every answer recorded the moment it arrives, so that a resumed run never pays twice.
 */
@NullMarked
package io.promptbatch.batch.journal;

import org.jspecify.annotations.NullMarked;
