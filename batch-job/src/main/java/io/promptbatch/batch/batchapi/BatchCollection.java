package io.promptbatch.batch.batchapi;

import io.promptbatch.batch.batchapi.BatchLedger.Outcome;
import io.promptbatch.batch.batchapi.BatchLedger.Part;
import io.promptbatch.batch.batchapi.BatchLedger.Step;
import io.promptbatch.batch.journal.ResponseJournal;
import io.promptbatch.core.client.ChatException;
import io.promptbatch.core.client.batchapi.Batch;
import io.promptbatch.core.client.batchapi.BatchApiClient;
import io.promptbatch.core.client.batchapi.BatchResult;
import io.promptbatch.core.prompt.InputException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The collection of a part's ended batch for {@link BatchSubmission}: its output and error files downloaded and read,
 * each answer recorded in the response journal (once) and each line's outcome in the {@link BatchLedger} (answered,
 * refused, or to try again in a follow-up); or, when the provider refused the part's file, an {@link InputException}
 * naming the input's lines.
 */
final class BatchCollection {

	private static final Logger log = LoggerFactory.getLogger(BatchSubmission.class);

	private final BatchApiClient client;
	private final BatchLedger ledger;
	private final ResponseJournal journal;
	private final Path input;

	/** @param input the run's input, for messages about its lines */
	BatchCollection(BatchApiClient client, BatchLedger ledger, ResponseJournal journal, Path input) {
		this.client = client;
		this.ledger = ledger;
		this.journal = journal;
		this.input = input;
	}

	/**
	 * Reads an ended batch's results into the journal and the ledger, and marks the part collected.
	 * @param directory where the result files are downloaded, and deleted once read
	 */
	void collect(Part part, Batch batch, Path directory) {
		if ("failed".equals(batch.status())) {
			ledger.step(part.runId(), part.partNo(), Step.REFUSED);
			throw refused(part, batch);
		}
		Map<String, String> fingerprints = new HashMap<>();
		ledger.keys(part.runId(), part.partNo(), k -> fingerprints.put(k.customId(), k.fingerprint()));
		long latency = latencyMillis(batch);
		Map<String, @Nullable String> ok = new LinkedHashMap<>();
		Map<String, @Nullable String> failed = new LinkedHashMap<>();
		Map<String, @Nullable String> retry = new LinkedHashMap<>();
		List<CompletableFuture<Void>> recording = new ArrayList<>();
		for (String fileId : new String[] { batch.outputFileId(), batch.errorFileId() }) {
			if (fileId == null) {
				continue;
			}
			Path downloaded = directory.resolve(part.tag() + "-part-" + part.partNo() + "-" + fileId + ".jsonl");
			client.download(fileId, downloaded);
			BatchResult.read(downloaded, result -> {
				String fingerprint = fingerprints.get(result.customId());
				if (fingerprint == null) {
					log.warn("Batch {} returned a line {} that part {} does not have; ignored", batch.id(), result.customId(),
							part.partNo());
					return;
				}
				ChatException error = result.error();
				if (result.response() != null) {
					if (journal.find(part.runId(), fingerprint, false).isEmpty()) {
						recording.add(journal.record(part.runId(), fingerprint, result.response(), part.round() + 1, latency));
					}
					ok.put(result.customId(), null);
				}
				else if (error != null) {
					LineError e = LineError.of(error);
					(e.retriable() ? retry : failed).put(result.customId(), e.json());
				}
			});
			BatchSubmission.delete(downloaded);
		}
		CompletableFuture.allOf(recording.toArray(CompletableFuture[]::new)).join();
		ledger.outcomes(part.runId(), Outcome.OK, ok);
		ledger.outcomes(part.runId(), Outcome.FAILED, failed);
		ledger.outcomes(part.runId(), Outcome.RETRY, retry);
		ledger.step(part.runId(), part.partNo(), Step.COLLECTED);
		log.info("Batch {} (part {}) {}: {} answered, {} refused, {} to try again", batch.id(), part.partNo(),
				batch.status(), ok.size(), failed.size(), retry.size());
	}

	/** A batch's time from creation to its end, as each of its answers' latency. */
	private static long latencyMillis(Batch batch) {
		Long start = batch.createdAt();
		Long end = batch.completedAt() != null ? batch.completedAt()
				: batch.expiredAt() != null ? batch.expiredAt() : batch.cancelledAt();
		return start == null || end == null ? 0 : Math.max(0, end - start) * 1000;
	}

	/** The provider's refusal of a part's file, naming the input's lines. */
	InputException refused(Part part, Batch batch) {
		List<Batch.LineError> errors = batch.lineErrors();
		Map<Long, Batch.LineError> byLine = new HashMap<>();
		errors.forEach(e -> byLine.put(e.line() == null ? 0 : e.line(), e));
		Map<Long, BatchLedger.Key> lines = new HashMap<>();
		long[] n = { 0 };
		ledger.keys(part.runId(), part.partNo(), l -> {
			n[0]++;
			if (byLine.containsKey(n[0])) {
				lines.put(n[0], l);
			}
		});
		List<String> reasons = new ArrayList<>();
		long firstInputLine = 0;
		for (Batch.LineError e : errors.subList(0, Math.min(10, errors.size()))) {
			BatchLedger.Key l = e.line() == null ? null : lines.get(e.line());
			if (l != null && firstInputLine == 0) {
				firstInputLine = l.lineNo();
			}
			reasons.add((l == null ? "" : "line " + l.lineNo() + " (batch line " + e.line() + "): ")
					+ (e.code() == null ? "" : e.code() + ": ") + e.message());
		}
		if (reasons.isEmpty()) {
			reasons.add("no reason given");
		}
		return new InputException(input, firstInputLine, "the provider refused batch " + batch.id() + " (part "
				+ part.partNo() + ", " + part.model() + ", " + part.lines() + " lines), nothing of it was answered: "
				+ String.join("; ", reasons) + (errors.size() > 10 ? "; and " + (errors.size() - 10) + " more" : "")
				+ ". Fix the input and run again");
	}
}
