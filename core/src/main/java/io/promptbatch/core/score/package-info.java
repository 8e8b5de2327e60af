/**
 * Scoring an answer against a row's expected value.
 */
@NullMarked
package io.promptbatch.core.score;

import org.jspecify.annotations.NullMarked;
