package io.promptbatch.batch.partition;

import io.promptbatch.batch.RunParameters;
import io.promptbatch.batch.RunSpec;
import io.promptbatch.batch.fanout.BudgetAccount;
import io.promptbatch.batch.output.RunTotals;
import io.promptbatch.batch.state.RunShares;
import io.promptbatch.batch.state.SharedRates;
import io.promptbatch.core.limit.ConcurrencyLimit;
import io.promptbatch.core.limit.RateLimit;
import io.promptbatch.core.limit.RateLimiter;
import java.math.BigDecimal;
import org.jspecify.annotations.Nullable;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.listener.StepExecutionListener;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.step.StepExecution;

/**
 * The one place that decides whose limits a step keeps: a partition of a run shares the run's {@code --concurrency},
 * {@code --rpm}, {@code --tpm} and {@code --budget-usd} with the other partitions, whichever process runs them,
 * through the state database ({@link SharedRates}, {@link RunShares}); a run carried out by one process keeps its own
 * in memory.
 */
public final class PartitionLimits {

	private final SharedRates rates;
	private final RunShares shares;
	private final JobRepository repository;

	PartitionLimits(SharedRates rates, RunShares shares, JobRepository repository) {
		this.rates = rates;
		this.shares = shares;
		this.repository = repository;
	}

	/** A partition's hold on its run's limits, given up when closed (once its requests have landed). */
	public interface Held extends AutoCloseable {

		/** The run's request rate, or null when it has none. */
		@Nullable RateLimit requests();

		/** The run's token rate, or null when it has none. */
		@Nullable RateLimit tokens();

		/** The run's budget account, or null when it has no budget. */
		@Nullable BudgetAccount budget();

		@Override
		void close();
	}

	/**
	 * The run's limits as a step execution holds them: shared when it is a partition (its share of the concurrency
	 * given to {@code limit} before this returns), null when it is a run's own step, which keeps its limits itself.
	 * @param limit the step's limit of requests in flight, at most its own cap
	 */
	public @Nullable Held join(StepExecution stepExecution, ConcurrencyLimit limit) {
		if (!stepExecution.getExecutionContext().containsKey(RecordRangePartitioner.FROM)) {
			return null;
		}
		JobExecution job = stepExecution.getJobExecution();
		RunSpec spec = RunParameters.toSpec(job.getJobParameters());
		long run = job.getId();
		RunSpec.Throughput t = spec.throughput();
		RunShares.Share share = shares.join(run, stepExecution.getId(), t.concurrency().max(), limit);
		RateLimit requests = t.rpm() > 0 ? rates.rate("rpm:" + run, t.rpm(), RateLimiter.REQUEST_BURST) : null;
		RateLimit tokens = t.tpm() > 0 ? rates.rate("tpm:" + run, t.tpm(), RateLimiter.tokenBurst(t.tpm())) : null;
		BudgetAccount budget = spec.accounting().budgetUsd() == null ? null : new BudgetAccount() {

			@Override
			public boolean reserve(BigDecimal worst) {
				return share.reserve(worst);
			}

			@Override
			public void settle(BigDecimal worst, BigDecimal actual) {
				share.settle(worst, actual);
			}

			@Override
			public BigDecimal spent() {
				return share.spent();
			}
		};
		return new Held() {

			@Override
			public @Nullable RateLimit requests() {
				return requests;
			}

			@Override
			public @Nullable RateLimit tokens() {
				return tokens;
			}

			@Override
			public @Nullable BudgetAccount budget() {
				return budget;
			}

			@Override
			public void close() {
				share.close();
			}
		};
	}

	/**
	 * Opens the run execution's budget before its partitions are sent, at what the run spent before it: the
	 * committed rows of each partition's last execution (the partitions completed earlier are not run again).
	 */
	StepExecutionListener budgetOpener() {
		return new StepExecutionListener() {

			@Override
			public void beforeStep(StepExecution manager) {
				JobExecution job = manager.getJobExecution();
				RunSpec spec = RunParameters.toSpec(job.getJobParameters());
				BigDecimal budget = spec.accounting().budgetUsd();
				if (budget == null) {
					return;
				}
				BigDecimal spent = BigDecimal.ZERO;
				for (StepExecution last : PartitionListing.lastExecutions(repository, job)) {
					if (last != null) {
						spent = spent.add(RunTotals.from(last.getExecutionContext()).costUsd());
					}
				}
				shares.openBudget(job.getId(), budget, spent);
			}
		};
	}
}
