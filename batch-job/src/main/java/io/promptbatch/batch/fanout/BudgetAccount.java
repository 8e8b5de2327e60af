package io.promptbatch.batch.fanout;

import java.math.BigDecimal;

/**
 * Where a budget's spending is kept: in this process ({@link #local}), or shared by the processes that run a run's
 * partitions. A request's worst case is reserved before it is sent and settled to its actual cost once answered.
 * Thread-safe.
 */
public interface BudgetAccount {

	/** Reserves a request's worst case; false when it could cross the budget. */
	boolean reserve(BigDecimal worst);

	/** Replaces a reservation by what the answer actually cost (zero for a failed request). */
	void settle(BigDecimal worst, BigDecimal actual);

	/** What was spent so far. */
	BigDecimal spent();

	/**
	 * The account of a run in this process alone.
	 * @param spent what the run has spent already (rows committed by earlier attempts)
	 */
	static BudgetAccount local(BigDecimal limit, BigDecimal spent) {
		return new BudgetAccount() {

			private BigDecimal paid = spent;
			private BigDecimal reserved = BigDecimal.ZERO;

			@Override
			public synchronized boolean reserve(BigDecimal worst) {
				if (paid.add(reserved).add(worst).compareTo(limit) > 0) {
					return false;
				}
				reserved = reserved.add(worst);
				return true;
			}

			@Override
			public synchronized void settle(BigDecimal worst, BigDecimal actual) {
				reserved = reserved.subtract(worst);
				paid = paid.add(actual);
			}

			@Override
			public synchronized BigDecimal spent() {
				return paid;
			}
		};
	}
}
