package io.promptbatch.batch.partition;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.springframework.batch.core.partition.Partitioner;
import org.springframework.batch.infrastructure.item.ExecutionContext;

/**
 * Splits a run's records {@code [from, from + total)} into ranges of nearly equal size, named {@code p0000},
 * {@code p0001}, ... so that the names' order is the input's order. Each range writes its own part file next to the
 * output ({@link #partFile}), merged in that order at the end.
 */
public final class RecordRangePartitioner implements Partitioner {

	/** The partition's first record (0-based, of the valid records), in its step execution context. */
	public static final String FROM = "partition.from";

	/** The end of the partition's range, exclusive. */
	public static final String TO = "partition.to";

	/** The partition's part file. */
	public static final String PART = "partition.part";

	private final long from;
	private final long total;
	private final Path output;

	/**
	 * @param from the run's first record
	 * @param total the records of the run
	 * @param output the run's output file, next to which the parts are written
	 */
	public RecordRangePartitioner(long from, long total, Path output) {
		if (from < 0 || total < 0) {
			throw new IllegalArgumentException("a record range must not be negative, was from " + from + ", total " + total);
		}
		this.from = from;
		this.total = total;
		this.output = output;
	}

	@Override
	public Map<String, ExecutionContext> partition(int gridSize) {
		if (gridSize < 1) {
			throw new IllegalArgumentException("partitions must be at least 1, was " + gridSize);
		}
		Map<String, ExecutionContext> ranges = new LinkedHashMap<>();
		for (int i = 0; i < gridSize; i++) {
			// the first (total % gridSize) ranges take one record more
			long start = from + i * (total / gridSize) + Math.min(i, total % gridSize);
			long size = total / gridSize + (i < total % gridSize ? 1 : 0);
			String name = name(i);
			ExecutionContext context = new ExecutionContext();
			context.putLong(FROM, start);
			context.putLong(TO, start + size);
			context.putString(PART, partFile(output, name).toString());
			ranges.put(name, context);
		}
		return ranges;
	}

	/** The name of partition {@code i}: zero-padded, so that names sort in input order. */
	static String name(int i) {
		return String.format(Locale.ROOT, "p%04d", i);
	}

	/** The part file of a partition: {@code <output>.part-p0003}. */
	public static Path partFile(Path output, String partition) {
		return output.resolveSibling(output.getFileName() + ".part-" + partition);
	}
}
