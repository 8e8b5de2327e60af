package io.promptbatch.batch;

import io.promptbatch.batch.output.RunTotals;
import java.time.LocalDateTime;
import org.jspecify.annotations.Nullable;
import org.springframework.batch.core.BatchStatus;

/**
 * One past run, as {@code promptbatch runs} lists it.
 *
 * @param id the run (job instance) id
 * @param lastExecution the id of its latest execution
 * @param started when its first execution started
 * @param ended when its latest execution ended, or null while running
 * @param status the latest execution's status
 * @param spec the settings it was started with
 * @param totals sums over the rows written
 * @param wall the time spent in all its executions
 */
public record RunRecord(long id, long lastExecution, @Nullable LocalDateTime started, @Nullable LocalDateTime ended,
		BatchStatus status, RunSpec spec, RunTotals totals, java.time.Duration wall) {
}
