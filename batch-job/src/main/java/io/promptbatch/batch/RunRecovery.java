package io.promptbatch.batch;

import io.promptbatch.batch.state.RunLeases;
import java.time.LocalDateTime;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.job.DefaultJobKeyGenerator;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.job.parameters.JobParameters;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.step.StepExecution;

/**
 * Who may run a run, and the repair of runs whose process died: a run's lease ({@link RunLeases}) is taken before it
 * starts or restarts, and an execution still marked as running (or left unknown by a failed commit) whose process
 * is gone is marked failed, which makes it restartable from its last commit.
 */
final class RunRecovery {

	private static final Logger log = LoggerFactory.getLogger(RunLauncher.class);

	private static final DefaultJobKeyGenerator JOB_KEYS = new DefaultJobKeyGenerator();

	private final JobRepository repository;
	private final String jobName;
	private final RunLeases leases;

	RunRecovery(JobRepository repository, String jobName, RunLeases leases) {
		this.repository = repository;
		this.jobName = jobName;
		this.leases = leases;
	}

	/**
	 * The lease of a run (a no-op on a state directory's own H2 file, which its lock gives to one process).
	 * @throws RunRefusedException when another live process runs it
	 */
	RunLeases.Lease lease(JobParameters parameters, Supplier<@Nullable Long> runId) {
		try {
			return leases.acquire(JOB_KEYS.generateKey(parameters));
		}
		catch (RunLeases.HeldException e) {
			RunLeases.Holder h = e.holder();
			Long id = runId.get();
			String run = id == null ? "this run" : "run " + id;
			throw new RunRefusedException(run + " is running on host " + h.host() + " (pid " + h.pid() + "), last seen "
					+ h.silentSeconds() + " s ago; wait for it to end, or if that process is gone, run this again once it "
					+ "has been silent for " + leases.period().toSeconds() + " s (--state-db-lease): the run is then taken "
					+ "over from its last commit");
		}
	}

	/**
	 * Marks executions left running by a dead process as failed, so that they can restart. With a shared state
	 * database, a run whose lease another live process holds is left alone.
	 */
	void recoverAbandoned() {
		for (JobExecution running : repository.findRunningJobExecutions(jobName)) {
			if (leases.heldByAnother(JOB_KEYS.generateKey(running.getJobParameters())).isPresent()) {
				// running on another machine that shares the state database
				continue;
			}
			log.warn("Run {} (execution {}) was interrupted while running; it will continue from its last commit",
					running.getJobInstance().getInstanceId(), running.getId());
			markFailed(running);
		}
	}

	/**
	 * Spring Batch marks an execution UNKNOWN when a chunk's commit failed (for example the output's disk
	 * was full when the file was flushed, just before the database commit). For this job that is safe
	 * to restart: the output is truncated back to the last committed position, the rows to skip come
	 * from the same committed context, and answers received since are in the journal.
	 */
	void recoverUnknown(JobExecution execution) {
		log.warn("Run {} (execution {}) ended while committing a chunk; it will continue from its last commit",
				execution.getJobInstance().getInstanceId(), execution.getId());
		markFailed(execution);
	}

	void markFailed(JobExecution execution) {
		for (StepExecution step : execution.getStepExecutions()) {
			if (step.getStatus().isRunning() || step.getStatus() == BatchStatus.UNKNOWN) {
				markFailed(step);
			}
		}
		execution.setStatus(BatchStatus.FAILED);
		execution.setEndTime(LocalDateTime.now());
		repository.update(execution);
	}

	/**
	 * Marks a step failed. A partition of a run whose manager died may still be committing on a live worker: its
	 * latest state is marked then, and the worker's next commit fails (its version moved), so that the partition
	 * continues from its last commit when the run restarts.
	 */
	private void markFailed(StepExecution step) {
		StepExecution current = step;
		for (int attempt = 1;; attempt++) {
			current.setStatus(BatchStatus.FAILED);
			current.setEndTime(LocalDateTime.now());
			try {
				repository.update(current);
				return;
			}
			catch (org.springframework.dao.OptimisticLockingFailureException committedMeanwhile) {
				StepExecution latest = repository.getStepExecution(current.getId());
				if (attempt >= 10 || latest == null) {
					throw committedMeanwhile;
				}
				if (!latest.getStatus().isRunning() && latest.getStatus() != BatchStatus.UNKNOWN) {
					return;
				}
				current = latest;
			}
		}
	}
}
