package io.promptbatch.batch.batchapi;

import io.promptbatch.batch.batchapi.BatchLedger.Part;
import io.promptbatch.batch.batchapi.BatchLedger.Step;
import io.promptbatch.core.client.batchapi.Batch;
import io.promptbatch.core.client.batchapi.BatchApiClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Cancels a run's batches at the provider ({@code promptbatch cancel}) and records it, so that the lines they did not
 * answer get no follow-up batch: the next run of the same command writes the answers they gave and fails the rest.
 * A batch whose creation was started and not recorded is looked for by its metadata first.
 */
public final class BatchCancel {

	private final BatchLedger ledger;
	private final BatchApiClient client;

	public BatchCancel(BatchLedger ledger, BatchApiClient client) {
		this.ledger = ledger;
		this.client = client;
	}

	/**
	 * Cancels the run's batches that may still run.
	 * @return the batches asked to cancel, with the status the provider gave
	 */
	public List<Batch> cancel(long runId) {
		ledger.recordCancel(runId);
		List<Batch> cancelled = new ArrayList<>();
		for (Part part : ledger.parts(runId)) {
			String batchId = part.batchId();
			if (part.step() == Step.CREATING) {
				Optional<Batch> found = client.findBatch(part.metadata());
				if (found.isEmpty()) {
					continue;
				}
				ledger.created(runId, part.partNo(), found.get());
				batchId = found.get().id();
			}
			else if (part.step() != Step.CREATED || batchId == null) {
				continue;
			}
			Batch now = client.get(batchId);
			if (now.done() || "cancelling".equals(now.status())) {
				ledger.status(runId, part.partNo(), now);
				continue;
			}
			Batch batch = client.cancel(batchId);
			ledger.status(runId, part.partNo(), batch);
			cancelled.add(batch);
		}
		return cancelled;
	}
}
