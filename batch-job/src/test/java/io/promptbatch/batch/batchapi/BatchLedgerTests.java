package io.promptbatch.batch.batchapi;

import static org.assertj.core.api.Assertions.assertThat;

import io.promptbatch.batch.fanout.RowResolver;
import io.promptbatch.core.provider.BatchLimits;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BatchLedgerTests {

	private static final Path INPUT = Path.of("prompts.csv");

	@TempDir
	Path dir;

	@Test
	void notAnsweredByBatchIsEachRequestWithoutAnAnswerAndNoneOfAnotherRun() throws Exception {
		// given: five rows, the fifth asking what the fourth asks; r1 answered, r2 refused, r3 to retry, r4 not seen,
		// r5 answered; and another run's line not answered
		Ledgers l = new Ledgers(dir);
		List<RowResolver.Resolved> rows = List.of(Ledgers.row(1, "kimi-k2.5"), Ledgers.row(2, "kimi-k2.5"),
				Ledgers.row(3, "kimi-k2.5"), Ledgers.row(4, "kimi-k2.5"), Ledgers.row(6, "kimi-k2.5"));
		BatchPlanner planner = new BatchPlanner(l.ledger, BatchLimits.OPENAI, INPUT);
		planner.plan(1, "tag", rows);
		planner.plan(2, "other", List.of(Ledgers.row(7, "kimi-k2.5")));
		l.jdbc.update("UPDATE PB_BATCH_LINE SET FINGERPRINT = ? WHERE RUN_ID = 1 AND CUSTOM_ID = 'r6'",
				rows.get(3).fingerprint());
		l.ledger.outcomes(1, BatchLedger.Outcome.OK, nulls("r1", "r6"));
		l.ledger.outcomes(1, BatchLedger.Outcome.FAILED, nulls("r2"));
		l.ledger.outcomes(1, BatchLedger.Outcome.RETRY, nulls("r3"));
		// when
		var notAnswered = l.ledger.notAnsweredByBatch(1);
		// then: r2 and r3; r4's request was answered in r6's line
		String otherRun = Ledgers.row(7, "kimi-k2.5").fingerprint();
		assertThat(notAnswered).accepts(rows.get(1).fingerprint(), rows.get(2).fingerprint())
			.rejects(rows.get(0).fingerprint(), rows.get(3).fingerprint(), rows.get(4).fingerprint(), otherRun);
		assertThat(l.ledger.notAnsweredByBatch(2)).accepts(otherRun)
			.rejects(rows.get(1).fingerprint(), rows.get(2).fingerprint());
	}

	@Test
	void keysAreThePartsLinesInInputOrderWithTheirInputLinesAndFingerprints() throws Exception {
		// given
		Ledgers l = new Ledgers(dir);
		List<RowResolver.Resolved> rows = List.of(Ledgers.row(1, "kimi-k2.5"), Ledgers.row(2, "gpt-4o-mini"),
				Ledgers.row(3, "kimi-k2.5"));
		new BatchPlanner(l.ledger, BatchLimits.OPENAI, INPUT).plan(1, "tag", rows);
		// when
		List<BatchLedger.Key> keys = new ArrayList<>();
		l.ledger.keys(1, 1, keys::add);
		// then
		assertThat(keys).containsExactly(new BatchLedger.Key("r1", 2, rows.get(0).fingerprint()),
				new BatchLedger.Key("r3", 4, rows.get(2).fingerprint()));
	}

	private static Map<String, String> nulls(String... customIds) {
		Map<String, String> m = new HashMap<>();
		for (String id : customIds) {
			m.put(id, null);
		}
		return m;
	}
}
