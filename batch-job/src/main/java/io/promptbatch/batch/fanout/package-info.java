/**
 * The fan-out stage: a reader that keeps a window of requests in flight and hands back answers in input order.
 */
@NullMarked
package io.promptbatch.batch.fanout;

import org.jspecify.annotations.NullMarked;
