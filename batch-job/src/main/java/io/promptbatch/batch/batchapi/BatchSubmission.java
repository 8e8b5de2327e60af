package io.promptbatch.batch.batchapi;

import io.promptbatch.batch.StopSignal;
import io.promptbatch.batch.batchapi.BatchLedger.Line;
import io.promptbatch.batch.batchapi.BatchLedger.Part;
import io.promptbatch.batch.batchapi.BatchLedger.Step;
import io.promptbatch.batch.journal.ResponseJournal;
import io.promptbatch.core.client.batchapi.Batch;
import io.promptbatch.core.client.batchapi.BatchApiClient;
import io.promptbatch.core.client.batchapi.BatchFile;
import io.promptbatch.core.prompt.InputException;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
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
 * journal is not recorded again. An ended batch is read by {@link BatchCollection}.
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
	private final Path workDir;
	private final BatchCollection collection;
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
		this.workDir = workDir;
		this.collection = new BatchCollection(client, ledger, journal, input);
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
			throw collection.refused(p, client.get(p.batchId()));
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
				collection.collect(ledger.part(runId, p.partNo()), batch, workDirectory());
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

	static void delete(Path file) {
		try {
			Files.deleteIfExists(file);
		}
		catch (IOException e) {
			log.warn("Could not delete {}: {}", file, e.getMessage());
		}
	}
}
