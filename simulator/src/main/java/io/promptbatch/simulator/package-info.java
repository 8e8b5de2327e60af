/**
 * A fake OpenAI/Kimi-compatible chat-completions server with configurable latency, faults and
 * limits, used by the quick start, the tests and the benchmarks.
 */
@NullMarked
package io.promptbatch.simulator;

import org.jspecify.annotations.NullMarked;
