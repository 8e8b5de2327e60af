package io.promptbatch.batch.partition;

/**
 * What a process does with partitions: whether it takes partitions to run (and how many at once, each with at most
 * how many requests in flight), and the promptbatch version it runs, which manager and workers must share.
 *
 * @param slots partitions run at once in this process; 0 for none (a manager with no local worker, or no partitions)
 * @param concurrency the most requests in flight of one partition here, 0 for the run's own {@code --concurrency}
 * @param version this promptbatch's version
 */
public record Partitioning(int slots, int concurrency, String version) {

	/** A process that runs no partitions. */
	public static final Partitioning NONE = new Partitioning(0, 0, "");

	public Partitioning {
		if (slots < 0 || concurrency < 0) {
			throw new IllegalArgumentException("partition slots and concurrency must not be negative, were " + slots + ", "
					+ concurrency);
		}
	}
}
