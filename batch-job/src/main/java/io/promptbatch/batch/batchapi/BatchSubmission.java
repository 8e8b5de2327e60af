package io.promptbatch.batch.batchapi;

import io.promptbatch.batch.StopSignal;
import io.promptbatch.batch.batchapi.BatchLedger.Line;
import io.promptbatch.batch.batchapi.BatchLedger.Outcome;
import io.promptbatch.batch.batchapi.BatchLedger.Part;
import io.promptbatch.batch.batchapi.BatchLedger.Step;
import io.promptbatch.batch.journal.ResponseJournal;
import io.promptbatch.core.client.ChatException;
import io.promptbatch.core.client.batchapi.Batch;
import io.promptbatch.core.client.batchapi.BatchApiClient;
import io.promptbatch.core.client.batchapi.BatchFile;
import io.promptbatch.core.client.batchapi.BatchResult;
import io.promptbatch.core.prompt.InputException;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes a run's planned parts through the provider's Batch API, each external step recorded in the {@link BatchLedger}
 * before and after its call: the part's file written from the ledger and uploaded, its batch created, polled with
 * backoff, and, once it ended, its output and error files downloaded and read into the response journal (answers) and
 * the ledger (why a line has none). Lines not answered for the provider's reasons go into follow-up batches, up to
 * the run's retries.
 *
 * <p>Restart: a part's recorded step says what was done. An upload or a create not recorded as done may have taken
 * effect with its answer lost, or its record may have been taken back by a crash (the state database writes commits
 * to disk up to half a second late): before each upload or create the file is looked for by its name, the batch by
 * its metadata, and what is found is taken. A collected part is not downloaded again; an answer already in the
 * journal is not recorded again.
 */
public final class BatchSubmission {

	private static final Logger log = LoggerFactory.getLogger(BatchSubmission.class);

	/** How the submission ended. */
	public enum Ending {
		/** Every batch ended and was collected (lines may have failed). */
		COLLECTED,
		/** The batches were created and left running ({@code --no-wait}). */
		SUBMITTED,
		/** A stop was requested while waiting: the batches keep running. */
		STOPPED
	}

	/** The first wait between two looks at the batches; it doubles up to the longest. */
	static final Duration FIRST_POLL = Duration.ofMillis(500);

	private final BatchApiClient client;
	private final BatchLedger ledger;
	private final BatchPlanner planner;
	private final ResponseJournal journal;
	private final Path workDir;
	private final Path input;
	private final StopSignal stop;
	private final String completionWindow;
	private final Duration maxPoll;
	private final int maxRounds;
	private final Map<Integer, long[]> counts = new HashMap<>();
	private final AtomicLong done = new AtomicLong();
	private final AtomicLong waiting = new AtomicLong();

	/**
	 * @param workDir where part files are written before upload and results downloaded before they are read
	 * @param input the run's input, for messages about its lines
	 * @param maxRounds follow-up rounds at most for lines the provider did not answer
	 */
	public BatchSubmission(BatchApiClient client, BatchLedger ledger, BatchPlanner planner, ResponseJournal journal,
			Path workDir, Path input, StopSignal stop, String completionWindow, Duration maxPoll, int maxRounds) {
		this.client = client;
		this.ledger = ledger;
		this.planner = planner;
		this.journal = journal;
		this.workDir = workDir;
		this.input = input;
		this.stop = stop;
		this.completionWindow = completionWindow;
		this.maxPoll = maxPoll;
		this.maxRounds = maxRounds;
	}

	/** Lines the batches have answered or failed so far, by their {@code request_counts}. */
	public long linesDone() {
		return done.get();
	}

	/** Lines in batches not yet done. */
	public int linesWaiting() {
		return (int) Math.min(Integer.MAX_VALUE, waiting.get());
	}

	/**
	 * Submits what is not submitted, waits for the batches (unless {@code noWait}) and collects them, then does the
	 * same for follow-ups.
	 * @throws InputException when the provider refused a batch's file, naming the input's lines and its reasons
	 */
	public Ending run(long runId, boolean noWait) throws InterruptedException {
		while (true) {
			List<Part> parts = ledger.parts(runId);
			for (Part part : parts) {
				if (stop.requested()) {
					return Ending.STOPPED;
				}
				submit(part);
			}
			if (noWait) {
				// one look: batches that ended are collected, and while any runs the command ends, saying so
				look(runId);
				if (ledger.parts(runId).stream().anyMatch(p -> p.step() == Step.CREATED)) {
					return Ending.SUBMITTED;
				}
			}
			else if (!await(runId)) {
				return Ending.STOPPED;
			}
			List<Line> unanswered = ledger.unanswered(runId);
			parts = ledger.parts(runId);
			int round = parts.stream().mapToInt(Part::round).max().orElse(0) + 1;
			if (unanswered.isEmpty() || round > maxRounds || ledger.cancelRequested(runId)) {
				return Ending.COLLECTED;
			}
			int next = parts.stream().mapToInt(Part::partNo).max().orElse(0) + 1;
			int planned = planner.followUp(runId, parts.get(0).tag(), round, next, unanswered);
			log.info("{} lines were not answered for the provider's reasons: follow-up round {} of at most {} in {} "
					+ "batches", unanswered.size(), round, maxRounds, planned);
		}
	}

	/**
	 * Takes a part as far as a created batch, from the step its record says it is at. Before each upload or create the
	 * provider is asked whether it already has the file or the batch: an earlier execution may have made it and died
	 * before recording it, or its record may have been taken back with the last moments before a crash.
	 */
	void submit(Part part) {
		Part p = part;
		if (p.step() == Step.REFUSED) {
			throw refused(p, client.get(p.batchId()));
		}
		if (p.step() == Step.PLANNED || p.step() == Step.UPLOADING) {
			Optional<BatchFile> found = client.findFile(p.filename());
			if (found.isPresent()) {
				log.info("Part {}'s file was uploaded before ({}); not uploading it again", p.partNo(), found.get().id());
				ledger.uploaded(p.runId(), p.partNo(), found.get().id());
			}
			else {
				Path file = write(p);
				ledger.step(p.runId(), p.partNo(), Step.UPLOADING);
				BatchFile uploaded = client.upload(file, p.filename());
				ledger.uploaded(p.runId(), p.partNo(), uploaded.id());
				delete(file);
				log.info("Part {} ({} lines of {}) uploaded as {}", p.partNo(), p.lines(), p.model(), uploaded.id());
			}
			p = ledger.part(p.runId(), p.partNo());
		}
		if (p.step() == Step.UPLOADED || p.step() == Step.CREATING) {
			Optional<Batch> found = client.findBatch(p.metadata(), p.plannedAt());
			if (found.isPresent()) {
				log.info("Part {}'s batch was created before ({}); not creating it again", p.partNo(), found.get().id());
				ledger.created(p.runId(), p.partNo(), found.get());
			}
			else {
				ledger.step(p.runId(), p.partNo(), Step.CREATING);
				Batch batch = client.create(p.fileId(), completionWindow, p.metadata());
				ledger.created(p.runId(), p.partNo(), batch);
				log.info("Part {}'s batch {} created ({}, window {})", p.partNo(), batch.id(), batch.status(),
						completionWindow);
			}
		}
	}

	/** Polls the created batches until each has ended and is collected; false when a stop was requested first. */
	private boolean await(long runId) throws InterruptedException {
		Duration delay = FIRST_POLL;
		while (true) {
			List<Part> open = ledger.parts(runId).stream().filter(p -> p.step() == Step.CREATED).toList();
			if (open.isEmpty()) {
				return true;
			}
			look(runId);
			if (ledger.parts(runId).stream().noneMatch(p -> p.step() == Step.CREATED)) {
				return true;
			}
			if (!pause(delay)) {
				return false;
			}
			delay = delay.multipliedBy(2).compareTo(maxPoll) > 0 ? maxPoll : delay.multipliedBy(2);
		}
	}

	/** Looks once at each created batch, and collects those that ended. */
	private void look(long runId) {
		for (Part p : ledger.parts(runId).stream().filter(p -> p.step() == Step.CREATED).toList()) {
			Batch batch = client.get(p.batchId());
			if (!batch.status().equals(p.status())) {
				log.info("Batch {} (part {}): {}", batch.id(), p.partNo(), batch.status());
			}
			ledger.status(runId, p.partNo(), batch);
			Batch.RequestCounts c = batch.requestCounts();
			if (c != null) {
				counts.put(p.partNo(), new long[] { c.total(), c.completed() + c.failed() });
			}
			if (batch.done()) {
				collect(ledger.part(runId, p.partNo()), batch);
				counts.put(p.partNo(), new long[] { p.lines(), p.lines() });
			}
			tally();
		}
	}

	private void tally() {
		long total = 0;
		long finished = 0;
		for (long[] c : counts.values()) {
			total += c[0];
			finished += c[1];
		}
		done.set(finished);
		waiting.set(total - finished);
	}

	/** Waits, looking at the stop request; false when a stop was requested. */
	private boolean pause(Duration delay) throws InterruptedException {
		long end = System.nanoTime() + delay.toNanos();
		while (System.nanoTime() < end) {
			if (stop.requested()) {
				return false;
			}
			Thread.sleep(Math.min(100, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
		}
		return !stop.requested();
	}

	/** Reads an ended batch's results into the journal and the ledger, and marks the part collected. */
	void collect(Part part, Batch batch) {
		if ("failed".equals(batch.status())) {
			ledger.step(part.runId(), part.partNo(), Step.REFUSED);
			throw refused(part, batch);
		}
		Map<String, String> fingerprints = new HashMap<>();
		ledger.lines(part.runId(), part.partNo(), l -> fingerprints.put(l.customId(), l.fingerprint()));
		long latency = latencyMillis(batch);
		Map<String, @Nullable String> ok = new LinkedHashMap<>();
		Map<String, @Nullable String> failed = new LinkedHashMap<>();
		Map<String, @Nullable String> retry = new LinkedHashMap<>();
		List<CompletableFuture<Void>> recording = new ArrayList<>();
		for (String fileId : new String[] { batch.outputFileId(), batch.errorFileId() }) {
			if (fileId == null) {
				continue;
			}
			Path downloaded = workDirectory().resolve(part.tag() + "-part-" + part.partNo() + "-" + fileId + ".jsonl");
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
			delete(downloaded);
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
	private InputException refused(Part part, Batch batch) {
		List<Batch.LineError> errors = batch.lineErrors();
		Map<Long, Batch.LineError> byLine = new HashMap<>();
		errors.forEach(e -> byLine.put(e.line() == null ? 0 : e.line(), e));
		Map<Long, Line> lines = new HashMap<>();
		long[] n = { 0 };
		ledger.lines(part.runId(), part.partNo(), l -> {
			n[0]++;
			if (byLine.containsKey(n[0])) {
				lines.put(n[0], l);
			}
		});
		List<String> reasons = new ArrayList<>();
		long firstInputLine = 0;
		for (Batch.LineError e : errors.subList(0, Math.min(10, errors.size()))) {
			Line l = e.line() == null ? null : lines.get(e.line());
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

	/** The part's batch input file, written from the ledger. */
	private Path write(Part part) {
		Path file = workDirectory().resolve(part.filename());
		try {
			try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
				ledger.lines(part.runId(), part.partNo(), l -> {
					try {
						out.write(BatchPlanner.batchLine(l.customId(), l.body()));
						out.write('\n');
					}
					catch (IOException e) {
						throw new UncheckedIOException(e);
					}
				});
			}
		}
		catch (IOException e) {
			throw new UncheckedIOException("cannot write the batch file " + file + ": " + e.getMessage(), e);
		}
		return file;
	}

	/**
	 * The directory for part files and downloads, made when missing: a run continued from another state directory
	 * (the same {@code --state-db}) collects batches it never uploaded from.
	 */
	private Path workDirectory() {
		try {
			return Files.createDirectories(workDir);
		}
		catch (IOException e) {
			throw new UncheckedIOException("cannot make the directory for batch files " + workDir + ": " + e.getMessage(),
					e);
		}
	}

	private static void delete(Path file) {
		try {
			Files.deleteIfExists(file);
		}
		catch (IOException e) {
			log.warn("Could not delete {}: {}", file, e.getMessage());
		}
	}
}
