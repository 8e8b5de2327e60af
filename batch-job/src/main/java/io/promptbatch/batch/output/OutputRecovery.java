package io.promptbatch.batch.output;

import io.promptbatch.batch.fanout.AnswerWindowReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.batch.core.listener.StepExecutionListener;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.batch.infrastructure.item.ExecutionContext;

/**
 * Before a resumed step opens its streams: when the output file is gone, shorter than at the last
 * commit (removed, truncated, restored from an old copy), or no longer holds what the run wrote (its
 * {@link OutputTail} differs: another run's output in its place), the step starts writing again from
 * the first row. The answers come from the response journal, so nothing is paid for again.
 */
public final class OutputRecovery implements StepExecutionListener {

	private static final Logger log = LoggerFactory.getLogger(OutputRecovery.class);

	private final Path output;
	private final String writerName;

	public OutputRecovery(Path output, String writerName) {
		this.output = output;
		this.writerName = writerName;
	}

	@Override
	public void beforeStep(StepExecution stepExecution) {
		ExecutionContext ctx = stepExecution.getExecutionContext();
		String positionKey = writerName + ".current.count";
		if (!ctx.containsKey(positionKey)) {
			return;
		}
		long committed = ctx.getLong(positionKey);
		long size;
		try {
			size = Files.exists(output) ? Files.size(output) : -1;
		}
		catch (IOException e) {
			throw new UncheckedIOException(e);
		}
		boolean same = size >= committed && OutputTail.matches(ctx, output);
		if (same) {
			return;
		}
		log.warn("The output {} {}; writing it again from the first row, with answers from the journal", output,
				size < 0 ? "is missing"
						: size < committed ? "is shorter (" + size + " bytes) than at the last commit (" + committed + " bytes)"
								: "no longer holds the rows this run wrote (another run's output, or another copy)");
		OutputTail.clear(ctx);
		ctx.remove(positionKey);
		ctx.remove(writerName + ".written");
		ctx.remove(AnswerWindowReader.ROWS_DONE);
		RunTotals.clear(ctx);
	}
}
