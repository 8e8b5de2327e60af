package io.promptbatch.batch.partition;

import io.promptbatch.batch.RunParameters;
import io.promptbatch.batch.RunSpec;
import io.promptbatch.batch.output.OutputColumns;
import io.promptbatch.batch.output.RunTotals;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.job.parameters.JobParameters;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.step.StepContribution;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.batch.core.scope.context.ChunkContext;
import org.springframework.batch.core.step.tasklet.Tasklet;
import org.springframework.batch.infrastructure.repeat.RepeatStatus;

/**
 * The last step of a partitioned run: the partitions' part files, in partition order (the input's order), become the
 * one output, with the header of a CSV output once; the partitions' totals become the run's. The output is written
 * to a temporary file first and moved into place, so that a merge cut short is simply done again.
 */
final class PartitionMerge implements Tasklet {

	private final JobRepository repository;

	PartitionMerge(JobRepository repository) {
		this.repository = repository;
	}

	@Override
	public RepeatStatus execute(StepContribution contribution, ChunkContext chunkContext) throws Exception {
		StepExecution step = contribution.getStepExecution();
		JobExecution job = step.getJobExecution();
		JobParameters parameters = job.getJobParameters();
		RunSpec spec = RunParameters.toSpec(parameters);
		Path output = spec.files().output();
		String header = spec.files().format().header(new OutputColumns(
				RunParameters.columns(parameters.getString(RunParameters.COLUMNS)), spec.accounting().score() != null));
		RunTotals totals = new RunTotals();
		List<Path> parts = new ArrayList<>();
		List<@Nullable StepExecution> last = PartitionListing.lastExecutions(repository, job);
		for (int i = 0; i < last.size(); i++) {
			StepExecution partition = last.get(i);
			if (partition == null) {
				throw new IllegalStateException("partition " + PartitionListing.stepName(i) + " of the run has no "
						+ "execution");
			}
			totals = totals.plus(RunTotals.from(partition.getExecutionContext()));
			parts.add(Path.of(partition.getExecutionContext().getString(RecordRangePartitioner.PART)));
		}
		Path merging = output.resolveSibling(output.getFileName() + ".merging");
		try (OutputStream out = Files.newOutputStream(merging)) {
			for (int i = 0; i < parts.size(); i++) {
				copy(parts.get(i), out, i == 0 ? null : header);
			}
		}
		Files.move(merging, output, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
		totals.saveTo(step.getExecutionContext());
		contribution.incrementWriteCount(totals.rows());
		for (Path part : parts) {
			Files.deleteIfExists(part);
		}
		return RepeatStatus.FINISHED;
	}

	/** Copies a part, without its first line when it is the given header (the output has it once, from the first part). */
	private static void copy(Path part, OutputStream out, @Nullable String header) throws IOException {
		try (InputStream in = Files.newInputStream(part)) {
			if (header != null) {
				byte[] expected = (header + "\n").getBytes(StandardCharsets.UTF_8);
				byte[] first = in.readNBytes(expected.length);
				if (!java.util.Arrays.equals(first, expected)) {
					throw new IllegalStateException("the part file " + part + " does not start with the output's header");
				}
			}
			in.transferTo(out);
		}
	}
}
