package io.promptbatch.batch.partition;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.batch.infrastructure.item.ExecutionContext;

class RecordRangePartitionerTests {

	@Test
	void rangesCoverTheRunsRecordsOnceInOrderWithSizesDifferingByAtMostOne() {
		// given: 10 records from record 3, in 4 partitions
		RecordRangePartitioner partitioner = new RecordRangePartitioner(3, 10, Path.of("/data/answers.jsonl"));

		// when
		Map<String, ExecutionContext> ranges = partitioner.partition(4);

		// then: p0000..p0003 in that order, [3,6) [6,9) [9,11) [11,13), each with its own part file
		assertThat(ranges.keySet()).containsExactly("p0000", "p0001", "p0002", "p0003");
		List<long[]> bounds = new ArrayList<>();
		ranges.values().forEach(c -> bounds.add(new long[] { c.getLong(RecordRangePartitioner.FROM),
				c.getLong(RecordRangePartitioner.TO) }));
		assertThat(bounds).containsExactly(new long[] { 3, 6 }, new long[] { 6, 9 }, new long[] { 9, 11 },
				new long[] { 11, 13 });
		assertThat(ranges.get("p0002").getString(RecordRangePartitioner.PART)).isEqualTo("/data/answers.jsonl.part-p0002");
	}

	@Test
	void morePartitionsThanRecordsLeavesTheLastOnesEmpty() {
		// when: 2 records in 3 partitions
		Map<String, ExecutionContext> ranges = new RecordRangePartitioner(0, 2, Path.of("out.csv")).partition(3);

		// then: one record each for the first two, none for the third
		assertThat(ranges.get("p0000").getLong(RecordRangePartitioner.TO)).isEqualTo(1);
		assertThat(ranges.get("p0001").getLong(RecordRangePartitioner.TO)).isEqualTo(2);
		assertThat(ranges.get("p0002").getLong(RecordRangePartitioner.FROM)).isEqualTo(2);
		assertThat(ranges.get("p0002").getLong(RecordRangePartitioner.TO)).isEqualTo(2);
	}

	@Test
	void partitionNamesSortInInputOrderBeyondTen() {
		// then: names are zero-padded, so that p0010 sorts after p0009
		assertThat(RecordRangePartitioner.name(9).compareTo(RecordRangePartitioner.name(10))).isNegative();
		assertThatThrownBy(() -> new RecordRangePartitioner(0, 5, Path.of("o.jsonl")).partition(0))
			.hasMessage("partitions must be at least 1, was 0");
	}
}
