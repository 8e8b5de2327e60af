package io.promptbatch.batch.batchapi;

import static org.assertj.core.api.Assertions.assertThat;

import io.promptbatch.batch.StopSignal;
import io.promptbatch.batch.journal.ResponseJournal;
import io.promptbatch.core.client.batchapi.Batch;
import io.promptbatch.core.client.batchapi.BatchApiClient;
import io.promptbatch.core.client.batchapi.BatchFile;
import io.promptbatch.core.provider.BatchLimits;
import io.promptbatch.simulator.ChatSimulator;
import io.promptbatch.simulator.SimulatorConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The recovery decisions of a submission, from what the ledger recorded and what the provider (the simulator) holds:
 * each says whether an upload or a create is made again.
 */
class BatchSubmissionIntegrationTests {

	@TempDir
	Path dir;

	private ChatSimulator sim;
	private Ledgers l;
	private BatchApiClient client;
	private ResponseJournal journal;
	private BatchSubmission submission;
	private BatchLedger.Part part;

	@BeforeEach
	void planTwoLines() throws Exception {
		sim = ChatSimulator.start(SimulatorConfig.builder().batchDuration(Duration.ofMillis(200)).build());
		l = new Ledgers(dir);
		client = BatchApiClient.builder().baseUrl(sim.baseUrl()).backoff(Duration.ofMillis(1), Duration.ofMillis(5)).build();
		journal = new ResponseJournal(l.jdbc, l.transactions, dir.resolve("answer-log"));
		BatchPlanner planner = new BatchPlanner(l.ledger, BatchLimits.OPENAI, Path.of("prompts.csv"));
		planner.plan(1, "promptbatch-run-1-test", List.of(Ledgers.row(1, "kimi-k2.5"), Ledgers.row(2, "kimi-k2.5")));
		submission = new BatchSubmission(client, l.ledger, planner, journal, dir.resolve("work"), Path.of("prompts.csv"),
				new StopSignal(Duration.ofSeconds(1)), "24h", Duration.ofMillis(100), 2);
		part = l.ledger.part(1, 1);
	}

	@AfterEach
	void stop() {
		journal.close();
		sim.close();
	}

	/** The part's file as the submission would write it, uploaded by the test (a call whose answer was lost). */
	private BatchFile uploadBehindTheLedgersBack() throws Exception {
		StringBuilder lines = new StringBuilder();
		l.ledger.lines(1, 1, line -> lines.append(BatchPlanner.batchLine(line.customId(), line.body())).append('\n'));
		Path file = Files.writeString(dir.resolve("lost.jsonl"), lines, StandardCharsets.UTF_8);
		return client.upload(file, part.filename());
	}

	@Test
	void aFreshPartIsUploadedOnceAndItsBatchCreatedOnce() {
		submission.submit(part);
		BatchLedger.Part after = l.ledger.part(1, 1);
		assertThat(after.step()).isEqualTo(BatchLedger.Step.CREATED);
		assertThat(after.fileId()).isNotNull();
		assertThat(after.batchId()).isNotNull();
		assertThat(sim.counters().filesUploaded()).isEqualTo(1);
		assertThat(sim.counters().batchesCreated()).isEqualTo(1);
	}

	@Test
	void uploadStartedWithNoIdRecordedIsFoundByTheFilesName() throws Exception {
		// given: the upload was recorded as started, the provider took it, and its answer was lost
		l.ledger.step(1, 1, BatchLedger.Step.UPLOADING);
		BatchFile lost = uploadBehindTheLedgersBack();
		// when
		submission.submit(l.ledger.part(1, 1));
		// then
		assertThat(sim.counters().filesUploaded()).isEqualTo(1);
		assertThat(l.ledger.part(1, 1).fileId()).isEqualTo(lost.id());
		assertThat(sim.counters().batchesCreated()).isEqualTo(1);
	}

	@Test
	void createStartedWithNoIdRecordedIsFoundByTheBatchsMetadata() throws Exception {
		// given: the file is recorded, the create was recorded as started, the provider made the batch, the answer was lost
		BatchFile file = uploadBehindTheLedgersBack();
		l.ledger.uploaded(1, 1, file.id());
		l.ledger.step(1, 1, BatchLedger.Step.CREATING);
		Batch lost = client.create(file.id(), "24h", part.metadata());
		// when
		submission.submit(l.ledger.part(1, 1));
		// then
		assertThat(sim.counters().batchesCreated()).isEqualTo(1);
		assertThat(l.ledger.part(1, 1).batchId()).isEqualTo(lost.id());
		assertThat(l.ledger.part(1, 1).step()).isEqualTo(BatchLedger.Step.CREATED);
	}

	@Test
	void aRecordTakenBackByACrashStillFindsWhatTheProviderHas() throws Exception {
		// given: the ledger says nothing was sent (its last commits were lost), yet file and batch exist
		BatchFile file = uploadBehindTheLedgersBack();
		client.create(file.id(), "24h", part.metadata());
		// when
		submission.submit(l.ledger.part(1, 1));
		// then
		assertThat(sim.counters().filesUploaded()).isEqualTo(1);
		assertThat(sim.counters().batchesCreated()).isEqualTo(1);
		assertThat(l.ledger.part(1, 1).step()).isEqualTo(BatchLedger.Step.CREATED);
	}

	@Test
	void aCollectedPartIsNotDownloadedAgainAndItsAnswersAreInTheJournal() throws Exception {
		// when
		assertThat(submission.run(1, false)).isEqualTo(BatchSubmission.Ending.COLLECTED);
		long downloads = sim.counters().fileDownloads();
		List<String> fingerprints = new java.util.ArrayList<>();
		l.ledger.lines(1, 1, line -> fingerprints.add(line.fingerprint()));
		// then
		assertThat(fingerprints).allMatch(fp -> journal.find(1, fp, false).isPresent());
		assertThat(l.ledger.count(1, BatchLedger.Outcome.OK)).isEqualTo(2);
		assertThat(submission.run(1, false)).isEqualTo(BatchSubmission.Ending.COLLECTED);
		assertThat(sim.counters().fileDownloads()).isEqualTo(downloads);
		assertThat(sim.counters().batchesCreated()).isEqualTo(1);
	}
}
