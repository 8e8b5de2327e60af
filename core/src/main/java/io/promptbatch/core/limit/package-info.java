/**
 * Limits shared by all requests of a run: request and token rates, and the number in flight.
 */
@NullMarked
package io.promptbatch.core.limit;

import org.jspecify.annotations.NullMarked;
