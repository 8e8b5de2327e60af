/**
 * A run's page: reading a run's output back, summing it, drawing its charts and writing one
 * self-contained HTML file.
 */
@NullMarked
package io.promptbatch.report;

import org.jspecify.annotations.NullMarked;
