package io.promptbatch.batch.batchapi;

import io.promptbatch.batch.fanout.WindowDispatcher;
import io.promptbatch.core.chat.ChatRequest;
import io.promptbatch.core.client.ChatException;
import io.promptbatch.core.client.ChatOutcome;
import io.promptbatch.core.client.RetriableChatException;
import java.util.concurrent.CompletableFuture;

/**
 * What "sends" a row of a {@code --batch-api} run that the journal does not answer: nothing is sent; the row fails
 * with the reason its batches gave ({@link LineError}), so that it is a failed row as in a live run. Used by the
 * writing step unless {@code --batch-fallback live} sends such rows live.
 */
public final class UnansweredSender implements WindowDispatcher.Sender {

	private final BatchLedger ledger;
	private final long runId;

	public UnansweredSender(BatchLedger ledger, long runId) {
		this.ledger = ledger;
		this.runId = runId;
	}

	@Override
	public CompletableFuture<ChatOutcome> send(ChatRequest request, byte[] body, String fingerprint) {
		ChatException error = ledger.error(runId, fingerprint)
			.map(LineError::parse)
			.map(LineError::toException)
			.orElseGet(() -> new RetriableChatException(0, "batch_unanswered", "none of the run's batches answered "
					+ "this request; run with --batch-fallback live to send such rows live", null, null, null));
		return CompletableFuture.completedFuture(new ChatOutcome.Failed(error, 0, 0));
	}

	@Override
	public void close() {
	}
}
