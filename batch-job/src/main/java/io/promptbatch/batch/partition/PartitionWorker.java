package io.promptbatch.batch.partition;

import io.promptbatch.batch.PromptBatchJobConfiguration;
import io.promptbatch.batch.RunSpec;
import io.promptbatch.batch.fanout.AnswerRow;
import io.promptbatch.batch.output.OutputRecovery;
import io.promptbatch.batch.state.RunLeases;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.ExitStatus;
import org.springframework.batch.core.job.JobInterruptedException;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.step.Step;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.batch.core.step.builder.StepBuilder;
import org.springframework.batch.infrastructure.item.ItemStreamReader;
import org.springframework.batch.infrastructure.item.ItemStreamWriter;
import org.springframework.batch.integration.partition.StepExecutionRequest;
import org.springframework.transaction.PlatformTransactionManager;

/**
 * Runs the partitions this process takes: the same named parts as a run on one machine (the reader over the
 * fan-out stage, the output writer), on the partition's record range and part file, with the run's settings from the
 * job parameters. Its step is built per partition, since the chunk size and the part file are the run's.
 *
 * <p>A request is run only when its partition is still waiting in a running job: a stale or repeated request is
 * dropped. A worker of another promptbatch version, or one that cannot reach the input or the part file's directory,
 * fails the partition with a message saying so, which the manager reports.
 */
public final class PartitionWorker {

	private static final Logger log = LoggerFactory.getLogger(PartitionWorker.class);

	/** The worker that runs a partition ({@code host (pid N)}), in its step execution context. */
	public static final String WORKER = "partition.worker";

	/** The exit code of a partition a worker refused (another version, a path it cannot reach). */
	public static final String REFUSED = "REFUSED";

	/** The step that runs one partition; its executions are named {@code prompt-partition:p0003}. */
	public static final String STEP_NAME = "prompt-partition";

	private final JobRepository repository;
	private final PlatformTransactionManager transactionManager;
	private final ItemStreamReader<AnswerRow> reader;
	private final ItemStreamWriter<AnswerRow> writer;
	private final String version;
	private final int concurrency;
	private final PartitionRequests requests;
	private final PartitionHeartbeats heartbeats;
	private final Duration ownLease;
	private final String identity = identity();
	private final AtomicLong started = new AtomicLong();
	private final AtomicInteger running = new AtomicInteger();
	private volatile long lastActive = System.nanoTime();

	/**
	 * @param reader the step-scoped reader of the run's answers
	 * @param writer the step-scoped writer of the output
	 * @param partitioning this promptbatch's version, which must be the manager's, and the most requests in flight
	 *     this worker allows a partition
	 * @param requests where a request taken as this process stops goes back
	 * @param heartbeats where the partition in hand shows it is alive between its commits
	 * @param ownLease this process's {@code --state-db-lease}, for a partition whose manager did not give its own
	 */
	public PartitionWorker(JobRepository repository, PlatformTransactionManager transactionManager,
			ItemStreamReader<AnswerRow> reader, ItemStreamWriter<AnswerRow> writer, Partitioning partitioning,
			PartitionRequests requests, PartitionHeartbeats heartbeats, Duration ownLease) {
		this.repository = repository;
		this.transactionManager = transactionManager;
		this.reader = reader;
		this.writer = writer;
		this.version = partitioning.version();
		this.concurrency = partitioning.concurrency();
		this.requests = requests;
		this.heartbeats = heartbeats;
		this.ownLease = ownLease;
	}

	/** Runs the partition of a request, unless it is stale; busy (never {@linkplain #idleFor idle}) from the start. */
	public void handle(StepExecutionRequest request) throws JobInterruptedException {
		running.incrementAndGet();
		try {
			run(request);
		}
		finally {
			running.decrementAndGet();
			lastActive = System.nanoTime();
		}
	}

	private void run(StepExecutionRequest request) throws JobInterruptedException {
		StepExecution partition = repository.getStepExecution(request.getStepExecutionId());
		if (partition == null || partition.getStatus() != BatchStatus.STARTING
				|| partition.getJobExecution().getStatus() != BatchStatus.STARTED) {
			log.warn("Dropped a stale partition request (step execution {}: {})", request.getStepExecutionId(),
					partition == null ? "gone" : partition.getStatus() + " in a " + partition.getJobExecution().getStatus() + " run");
			return;
		}
		String refusal = refusal(partition);
		if (refusal != null) {
			log.error("Partition {} refused: {}", partition.getStepName(), refusal);
			partition.setStartTime(LocalDateTime.now());
			partition.setStatus(BatchStatus.FAILED);
			partition.setExitStatus(new ExitStatus(REFUSED, refusal));
			partition.setEndTime(LocalDateTime.now());
			repository.update(partition);
			return;
		}
		partition.getExecutionContext().putString(WORKER, identity);
		if (concurrency > 0) {
			partition.getExecutionContext().putInt(PartitionSpec.WORKER_CONCURRENCY, concurrency);
		}
		// the claim, before anything else: a worker that dies before its step starts is seen to have taken it (the
		// context has no version of its own, so this does not move the step execution's)
		repository.updateExecutionContext(partition);
		log.info("Partition {} (execution {}) started on {}, records [{}, {})", partition.getStepName(),
				partition.getId(), identity, partition.getExecutionContext().getLong(RecordRangePartitioner.FROM),
				partition.getExecutionContext().getLong(RecordRangePartitioner.TO));
		started.incrementAndGet();
		Duration lease = Duration.ofMillis(partition.getExecutionContext().getLong(PartitionHeartbeats.LEASE_MS,
				ownLease.toMillis()));
		try (PartitionHeartbeats.Beating beating = heartbeats.beat(partition.getId(), lease.dividedBy(3))) {
			step(partition).execute(partition);
		}
		log.info("Partition {} (execution {}) ended {}", partition.getStepName(), partition.getId(),
				partition.getStatus());
	}

	/** Puts a request back at the front of the queue, untouched: it was taken in the moment this process stopped. */
	void putBack(StepExecutionRequest request) {
		StepExecution partition = repository.getStepExecution(request.getStepExecutionId());
		if (partition != null) {
			log.info("Partition {} (execution {}) taken as this worker stops: put back", partition.getStepName(),
					partition.getId());
			requests.send(request.getStepName(), partition, true);
		}
	}

	/** Counts the idle time from now: when the worker starts taking partitions, not when it was made. */
	public void idleFromNow() {
		lastActive = System.nanoTime();
	}

	/** Whether no partition runs here and none has ended for {@code idle}. */
	public boolean idleFor(Duration idle) {
		return running.get() == 0 && System.nanoTime() - lastActive >= idle.toNanos();
	}

	/** How many partitions this worker started. */
	public long started() {
		return started.get();
	}

	private Step step(StepExecution partition) {
		RunSpec spec = PartitionSpec.of(partition);
		return new StepBuilder(STEP_NAME, repository).<AnswerRow, AnswerRow>chunk(spec.throughput().chunkSize())
			.transactionManager(transactionManager)
			.reader(reader)
			.writer(writer)
			.listener(new OutputRecovery(spec.files().output(), PromptBatchJobConfiguration.WRITER_NAME))
			.build();
	}

	/** Why this worker cannot run the partition, or null. */
	private @Nullable String refusal(StepExecution partition) {
		String managers = partition.getJobExecution().getJobParameters().getString(PartitionedJob.VERSION);
		if (!version.equals(managers)) {
			return "worker " + identity + " runs promptbatch " + version + " and the run's manager " + managers
					+ ": run the same version on the manager and every worker";
		}
		RunSpec spec = PartitionSpec.of(partition);
		Path input = spec.files().input();
		if (!Files.isReadable(input)) {
			return "worker " + identity + " cannot read the input " + input + ": mount the shared storage at the same "
					+ "path on every worker";
		}
		Path directory = spec.files().output().getParent();
		if (directory == null || !Files.isDirectory(directory) || !Files.isWritable(directory)) {
			return "worker " + identity + " cannot write the output's directory " + directory + ": mount the shared "
					+ "storage at the same path, writable, on every worker";
		}
		return null;
	}

	/** This process as the runs list shows it: {@code host (pid N)}. */
	public static String identity() {
		return RunLeases.localHost() + " (pid " + ProcessHandle.current().pid() + ")";
	}
}
