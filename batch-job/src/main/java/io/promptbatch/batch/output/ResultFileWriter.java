package io.promptbatch.batch.output;

import io.promptbatch.batch.RunProgress;
import io.promptbatch.batch.fanout.AnswerRow;
import java.nio.file.Files;
import java.nio.file.Path;
import org.springframework.batch.infrastructure.item.Chunk;
import org.springframework.batch.infrastructure.item.ExecutionContext;
import org.springframework.batch.infrastructure.item.ItemStreamException;
import org.springframework.batch.infrastructure.item.ItemStreamWriter;
import org.springframework.batch.infrastructure.item.file.FlatFileItemWriter;

/**
 * Writes rows through a transactional {@link FlatFileItemWriter} (the file is written when the chunk
 * commits, and truncated back to the last commit on restart, so no torn or duplicated line survives a
 * crash) and keeps the {@link RunTotals} in the same execution context.
 */
public final class ResultFileWriter implements ItemStreamWriter<AnswerRow> {

	private final FlatFileItemWriter<AnswerRow> file;

	private final Path output;

	private final String positionKey;

	private final RunProgress progress;

	private RunTotals totals = new RunTotals();

	/** The output's length at the last commit whose bytes are on disk. */
	private long committed;

	/**
	 * @param name the file writer's name, under which it saves its position
	 */
	public ResultFileWriter(FlatFileItemWriter<AnswerRow> file, String name, Path output, RunProgress progress) {
		this.file = file;
		this.positionKey = name + ".current.count";
		this.output = output;
		this.progress = progress;
	}

	@Override
	public void open(ExecutionContext context) throws ItemStreamException {
		file.open(context);
		totals = RunTotals.from(context);
		committed = context.containsKey(positionKey) ? context.getLong(positionKey) : 0;
		progress.written(totals);
	}

	@Override
	public void write(Chunk<? extends AnswerRow> chunk) throws Exception {
		if (!Files.exists(output)) {
			// the open file was removed: rows written to it now would be lost without a word
			throw new IllegalStateException("the output file " + output + " was removed during the run; run the same "
					+ "command again to write it anew (answers come from the journal and are not paid for again)");
		}
		file.write(chunk);
		for (AnswerRow row : chunk) {
			totals.add(row);
		}
		progress.written(totals);
	}

	@Override
	public void update(ExecutionContext context) throws ItemStreamException {
		OutputTail.record(context, output, committed);
		file.update(context);
		totals.saveTo(context);
		if (context.containsKey(positionKey)) {
			committed = context.getLong(positionKey);
		}
	}

	@Override
	public void close() throws ItemStreamException {
		file.close();
	}

	public RunTotals totals() {
		return totals;
	}
}
