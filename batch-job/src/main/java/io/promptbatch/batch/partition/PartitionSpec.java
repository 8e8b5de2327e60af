package io.promptbatch.batch.partition;

import io.promptbatch.batch.Concurrency;
import io.promptbatch.batch.RunParameters;
import io.promptbatch.batch.RunSpec;
import java.nio.file.Path;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.batch.infrastructure.item.ExecutionContext;

/**
 * The run's settings as one step execution sees them: the job parameters, and for a partition its record range,
 * its part file and the requests in flight its worker allows, from the step execution context.
 */
public final class PartitionSpec {

	/** The most requests in flight the worker running a partition allows (its {@code --concurrency}), when it caps them. */
	public static final String WORKER_CONCURRENCY = "partition.worker.concurrency";

	private PartitionSpec() {
	}

	/** The spec of the step execution: the run's own, or a partition's. */
	public static RunSpec of(StepExecution stepExecution) {
		RunSpec spec = RunParameters.toSpec(stepExecution.getJobExecution().getJobParameters());
		ExecutionContext context = stepExecution.getExecutionContext();
		if (!context.containsKey(RecordRangePartitioner.FROM)) {
			return spec;
		}
		RunSpec.Files f = spec.files();
		RunSpec.Files files = new RunSpec.Files(f.input(), Path.of(context.getString(RecordRangePartitioner.PART)),
				f.format(), context.getLong(RecordRangePartitioner.FROM), context.getLong(RecordRangePartitioner.TO),
				f.skipInvalid(), false);
		RunSpec.Throughput t = spec.throughput();
		int cap = context.getInt(WORKER_CONCURRENCY, 0);
		RunSpec.Throughput throughput = cap > 0 && t.concurrency().max() > cap
				? new RunSpec.Throughput(Concurrency.fixed(cap), t.rpm(), t.tpm(), t.chunkSize())
				: t;
		return new RunSpec(files, spec.target(), spec.request(), spec.resilience(), throughput, spec.accounting());
	}
}
