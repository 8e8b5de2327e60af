/**
 * What tokens cost: prices per model, the cost of a usage, and the token estimate before a run.
 */
@NullMarked
package io.promptbatch.core.cost;

import org.jspecify.annotations.NullMarked;
