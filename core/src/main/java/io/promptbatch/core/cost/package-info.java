/**
 * Prices per model and the cost of a usage.
 */
@NullMarked
package io.promptbatch.core.cost;

import org.jspecify.annotations.NullMarked;
