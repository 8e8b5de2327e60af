package io.promptbatch.batch.batchapi;

import static org.assertj.core.api.Assertions.assertThat;

import io.promptbatch.batch.fanout.RowResolver;
import io.promptbatch.core.client.ChatOutcome;
import io.promptbatch.core.client.RetriableChatException;
import io.promptbatch.core.provider.BatchLimits;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UnansweredSenderTests {

	@TempDir
	Path dir;

	@Test
	void aRowFailsWithTheReasonItsBatchesGaveForTheFingerprintItWasResolvedWith() throws Exception {
		// given: r1 refused by its batch, r2 not seen
		Ledgers l = new Ledgers(dir);
		RowResolver.Resolved refused = Ledgers.row(1, "kimi-k2.5");
		RowResolver.Resolved unseen = Ledgers.row(2, "kimi-k2.5");
		new BatchPlanner(l.ledger, BatchLimits.OPENAI, Path.of("prompts.csv")).plan(1, "tag", List.of(refused, unseen));
		Map<String, String> errors = new HashMap<>();
		errors.put("r1", new LineError(400, "content_filter", "the prompt was filtered", false).json());
		l.ledger.outcomes(1, BatchLedger.Outcome.FAILED, errors);
		UnansweredSender sender = new UnansweredSender(l.ledger, 1);
		// when: sent with the rows' fingerprints (the body is not looked at)
		ChatOutcome first = sender.send(refused.request(), new byte[0], refused.fingerprint()).join();
		ChatOutcome second = sender.send(unseen.request(), new byte[0], unseen.fingerprint()).join();
		// then
		assertThat(first).isInstanceOfSatisfying(ChatOutcome.Failed.class, f -> {
			assertThat(f.error().status()).isEqualTo(400);
			assertThat(f.error().getMessage()).isEqualTo("the prompt was filtered");
		});
		assertThat(second).isInstanceOfSatisfying(ChatOutcome.Failed.class, f -> {
			assertThat(f.error()).isInstanceOf(RetriableChatException.class);
			assertThat(f.error().code()).isEqualTo("batch_unanswered");
		});
	}
}
