/**
 * The {@code promptbatch} command: run, resume and simulator, with their exit codes.
 */
@NullMarked
package io.promptbatch.cli;

import org.jspecify.annotations.NullMarked;
