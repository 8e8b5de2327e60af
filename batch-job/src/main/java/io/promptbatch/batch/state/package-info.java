/**
 * The state database under the state directory: schema, lock, stale runs.
 */
@NullMarked
package io.promptbatch.batch.state;

import org.jspecify.annotations.NullMarked;
