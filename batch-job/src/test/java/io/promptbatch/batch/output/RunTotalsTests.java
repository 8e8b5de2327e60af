package io.promptbatch.batch.output;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import org.junit.jupiter.api.Test;
import org.springframework.batch.infrastructure.item.ExecutionContext;

class RunTotalsTests {

	private static ExecutionContext saved(long ok, long failed, String cost, String latency, String scores) {
		ExecutionContext c = new ExecutionContext();
		c.putLong("totals.ok", ok);
		c.putLong("totals.failed", failed);
		c.putLong("totals.prompt_tokens", ok * 10);
		c.putLong("totals.completion_tokens", ok * 20);
		c.putLong("totals.retries", failed);
		c.putString("totals.cost_usd", cost);
		c.putString("totals.latency", latency);
		c.putString("totals.scores", scores);
		return c;
	}

	@Test
	void thePartitionsTotalsAddUpToTheRunsCountsCostLatenciesAndScores() {
		// given: two partitions' saved totals (latency bucket 0 twice and bucket 50 once; one model scored in both)
		RunTotals a = RunTotals.from(saved(3, 1, "0.25", "0:2", "m\u001f3\u001f2\u001f2\u001f1"));
		RunTotals b = RunTotals.from(saved(2, 0, "0.5", "0:1,50:1", "m\u001f2\u001f1\u001f1\u001f1"));

		// when
		RunTotals sum = a.plus(b);

		// then
		assertThat(sum.ok()).isEqualTo(5);
		assertThat(sum.failed()).isEqualTo(1);
		assertThat(sum.rows()).isEqualTo(6);
		assertThat(sum.promptTokens()).isEqualTo(50);
		assertThat(sum.completionTokens()).isEqualTo(100);
		assertThat(sum.retries()).isEqualTo(1);
		assertThat(sum.costUsd()).isEqualByComparingTo(new BigDecimal("0.75"));
		assertThat(sum.latency().count()).isEqualTo(4);
		assertThat(sum.latency().encode()).isEqualTo("0:3,50:1");
		assertThat(sum.scores().get("m").scored()).isEqualTo(5);
		assertThat(sum.scores().get("m").passed()).isEqualTo(3);
	}

	@Test
	void addingEmptyTotalsChangesNothing() {
		// given
		RunTotals a = RunTotals.from(saved(3, 1, "0.25", "7:4", ""));

		// when
		RunTotals sum = new RunTotals().plus(a);

		// then
		ExecutionContext c = new ExecutionContext();
		sum.saveTo(c);
		ExecutionContext expected = new ExecutionContext();
		a.saveTo(expected);
		assertThat(c.entrySet()).isEqualTo(expected.entrySet());
	}
}
