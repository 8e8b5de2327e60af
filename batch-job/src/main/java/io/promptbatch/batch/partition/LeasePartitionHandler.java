package io.promptbatch.batch.partition;

import io.promptbatch.batch.RunProgress;
import io.promptbatch.batch.StopSignal;
import io.promptbatch.batch.fanout.AnswerWindowReader;
import io.promptbatch.batch.output.RunTotals;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.ExitStatus;
import org.springframework.batch.core.partition.support.AbstractPartitionHandler;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.dao.OptimisticLockingFailureException;

/**
 * Sends one request per partition and watches the partitions in the job repository (it does not wait for replies).
 * A partition whose worker went silent, no commit for the lease period as measured on this process's own clock, is
 * marked failed and sent again as a new step execution carrying the last committed state (the record position, the
 * part file's committed length, the totals): a live worker continues it from there, with the answers already received
 * taken from the journal. The silent worker, should it come back, cannot commit again: its step execution's version
 * changed, so its next commit fails and is rolled back.
 *
 * <p>A worker also beats for its partition between commits ({@link PartitionHeartbeats}): a partition is silent only
 * when neither its version nor its heartbeat moved for the lease period, so that one slower between two commits than
 * the lease is not taken over while its worker lives.
 *
 * <p>A partition a worker stopped (its process was asked to end) is handed back: sent again at once, the same way. A
 * partition sent again goes to the front of the queue, before those no worker has taken yet. A partition a worker
 * refused (another version, a path it cannot reach) or that failed is not sent again: the step fails with its message.
 *
 * <p>Each look at the partitions also tells the run's progress the rows committed across all of them, wherever they
 * run.
 */
public final class LeasePartitionHandler extends AbstractPartitionHandler {

	private static final Logger log = LoggerFactory.getLogger(LeasePartitionHandler.class);

	/** How many times a partition is taken over from a silent worker before the run fails. */
	static final int MAX_TAKEOVERS = 3;

	/** The partitions taken over from silent workers, in the manager step's execution context. */
	public static final String TAKEOVERS = "partition.takeovers";

	/** The exit description of a partition taken over from a silent worker starts so. */
	static final String TAKEN_OVER = "taken over: no commit from its worker for ";

	private final JobRepository repository;
	private final PartitionRequests requests;
	private final PartitionHeartbeats heartbeats;
	private final String workerStep;
	private final Duration lease;
	private final Duration pollInterval;
	private final StopSignal stop;
	private final RunProgress progress;

	/**
	 * @param lease how long a partition may go without a commit or a heartbeat before its worker is taken for dead
	 * @param pollInterval how often the job repository is read
	 * @param progress where the rows committed across all partitions are told
	 */
	public LeasePartitionHandler(JobRepository repository, PartitionRequests requests, PartitionHeartbeats heartbeats,
			String workerStep, int partitions, Duration lease, Duration pollInterval, StopSignal stop,
			RunProgress progress) {
		this.repository = repository;
		this.requests = requests;
		this.heartbeats = heartbeats;
		this.workerStep = workerStep;
		this.lease = lease;
		this.pollInterval = pollInterval;
		this.stop = stop;
		this.progress = progress;
		setGridSize(partitions);
	}

	@Override
	protected Set<StepExecution> doHandle(StepExecution manager, Set<StepExecution> partitions) throws Exception {
		Map<String, StepExecution> current = new TreeMap<>();
		Map<String, Integer> takeovers = new HashMap<>();
		// step execution id -> {version, heartbeat, System.nanoTime() when first seen at both}
		Map<Long, long[]> seen = new HashMap<>();
		for (StepExecution partition : partitions) {
			current.put(partition.getStepName(), partition);
		}
		for (StepExecution partition : current.values()) {
			// the worker beats a third of this manager's lease
			partition.getExecutionContext().putLong(PartitionHeartbeats.LEASE_MS, lease.toMillis());
			repository.updateExecutionContext(partition);
			requests.send(workerStep, partition, false);
		}
		log.info("Sent {} partition requests", current.size());
		int takenOver = manager.getExecutionContext().getInt(TAKEOVERS, 0);
		Unattended unattended = new Unattended();
		while (true) {
			Thread.sleep(pollInterval.toMillis());
			boolean running = false;
			boolean taken = false;
			Map<Long, Long> beats = heartbeats.last(current.values().stream().map(StepExecution::getId).toList());
			RunTotals committed = new RunTotals();
			for (Map.Entry<String, StepExecution> entry : current.entrySet()) {
				StepExecution fresh = repository.getStepExecution(entry.getValue().getId());
				if (fresh == null) {
					throw new IllegalStateException("partition " + entry.getKey() + " is gone from the job repository");
				}
				entry.setValue(fresh);
				committed = committed.plus(RunTotals.from(fresh.getExecutionContext()));
				// a partition stopped by its own limits (the budget, an ignored cap) stays stopped, and so does the run
				boolean handedBack = fresh.getStatus() == BatchStatus.STOPPED && !stop.requested()
						&& !fresh.getExecutionContext().containsKey(AnswerWindowReader.STOP_REASON);
				if (handedBack) {
					// its worker was asked to end: it committed what it had, another worker continues
					log.info("Partition {} (execution {}) was handed back by its stopped worker after {} rows; sent again",
							fresh.getStepName(), fresh.getId(), RunTotals.from(fresh.getExecutionContext()).rows());
					entry.setValue(resend(manager, fresh));
					running = true;
					continue;
				}
				if (!fresh.getStatus().isRunning()) {
					continue;
				}
				// a partition still STARTING is either queued or claimed by a worker that has not started it yet
				boolean claimed = fresh.getStatus() == BatchStatus.STARTED
						|| fresh.getExecutionContext().containsKey(PartitionWorker.WORKER);
				if (!claimed && stop.requested() && stopUnstarted(fresh)) {
					continue;
				}
				running = true;
				taken |= claimed;
				if (!claimed || !silent(fresh, beats.getOrDefault(fresh.getId(), 0L), seen) || !failSilent(fresh)) {
					continue;
				}
				if (takeovers.merge(fresh.getStepName(), 1, Integer::sum) > MAX_TAKEOVERS) {
					// it stays failed, and so does the run
					log.warn("Partition {} was taken over {} times; giving up", fresh.getStepName(), MAX_TAKEOVERS);
				}
				else {
					takenOver++;
					manager.getExecutionContext().putInt(TAKEOVERS, takenOver);
					repository.updateExecutionContext(manager);
					log.warn("Partition {} (execution {}) had neither a commit nor a heartbeat for {} s: its worker is "
							+ "taken for dead; sent again from its last commit", fresh.getStepName(), fresh.getId(),
							lease.toSeconds());
					entry.setValue(resend(manager, fresh));
				}
			}
			progress.partitions(committed);
			unattended.look(running && !taken);
			if (!running) {
				refuseFailed(current.values());
				return new HashSet<>(current.values());
			}
		}
	}

	/**
	 * Ends a partition no worker has taken as stopped, the run being stopped: it is not waited for, and its request,
	 * when a worker takes it later, is dropped as stale. False when a worker started it in the meantime.
	 */
	private boolean stopUnstarted(StepExecution partition) {
		return endUnlessMoved(partition, BatchStatus.STOPPED,
				ExitStatus.STOPPED.addExitDescription("not started: the run was stopped"));
	}

	/** Marks a silent partition failed; false when its worker committed in the meantime: it is alive. */
	private boolean failSilent(StepExecution partition) {
		return endUnlessMoved(partition, BatchStatus.FAILED, ExitStatus.FAILED.addExitDescription(TAKEN_OVER
				+ lease.toSeconds() + " s; sent again from its last commit"));
	}

	/** Ends a partition as seen; false when its version moved since (a worker started or committed it). */
	private boolean endUnlessMoved(StepExecution partition, BatchStatus status, ExitStatus exit) {
		partition.setStatus(status);
		partition.setExitStatus(exit);
		partition.setEndTime(LocalDateTime.now());
		try {
			repository.update(partition);
			return true;
		}
		catch (OptimisticLockingFailureException moved) {
			return false;
		}
	}

	/** Says once when partitions wait and no worker has taken any of them for the lease period. */
	private final class Unattended {

		private long since;
		private boolean said;

		void look(boolean waitingForAWorker) {
			long now = System.nanoTime();
			if (!waitingForAWorker) {
				since = 0;
				said = false;
			}
			else if (since == 0) {
				since = now;
			}
			else if (!said && now - since >= lease.toNanos()) {
				said = true;
				log.warn("No worker has taken a partition of this run for {} s: start one (promptbatch worker --state-db "
						+ "with this database); the run goes on once one takes them", lease.toSeconds());
			}
		}
	}

	/** Whether a started partition has had neither a commit nor a heartbeat for the lease period. */
	private boolean silent(StepExecution partition, long beat, Map<Long, long[]> seen) {
		long now = System.nanoTime();
		long[] last = seen.get(partition.getId());
		long version = partition.getVersion() == null ? -1 : partition.getVersion();
		if (last == null || last[0] != version || last[1] != beat) {
			seen.put(partition.getId(), new long[] { version, beat, now });
			return false;
		}
		return now - last[2] >= lease.toNanos();
	}

	/** A new step execution of the partition with its last committed state, and a request for it. */
	private StepExecution resend(StepExecution manager, StepExecution last) {
		StepExecution next = repository.createStepExecution(last.getStepName(), manager.getJobExecution());
		next.setExecutionContext(last.getExecutionContext());
		next.getExecutionContext().remove(PartitionWorker.WORKER);
		next.getExecutionContext().putLong(PartitionHeartbeats.LEASE_MS, lease.toMillis());
		repository.updateExecutionContext(next);
		requests.send(workerStep, next, true);
		return next;
	}

	/** Fails the step with the partitions' own messages when any of them failed. */
	private static void refuseFailed(Iterable<StepExecution> partitions) {
		List<String> failures = new ArrayList<>();
		boolean refused = false;
		for (StepExecution p : partitions) {
			if (p.getStatus() == BatchStatus.FAILED) {
				refused |= PartitionWorker.REFUSED.equals(p.getExitStatus().getExitCode());
				String why = p.getExitStatus().getExitDescription();
				failures.add(p.getStepName() + (why.isBlank() ? " failed" : ": " + why.lines().findFirst().orElse(why)));
			}
		}
		if (refused) {
			throw new PartitionRefusedException(String.join("; ", failures));
		}
		if (!failures.isEmpty()) {
			throw new PartitionFailedException(String.join("; ", failures));
		}
	}

	/** A partition failed on its worker. */
	public static class PartitionFailedException extends RuntimeException {

		private static final long serialVersionUID = 1L;

		PartitionFailedException(String message) {
			super(message);
		}
	}

	/** A worker refused a partition before any request: the setup is wrong (another version, a path it cannot reach). */
	public static final class PartitionRefusedException extends PartitionFailedException {

		private static final long serialVersionUID = 1L;

		PartitionRefusedException(String message) {
			super(message);
		}
	}
}
