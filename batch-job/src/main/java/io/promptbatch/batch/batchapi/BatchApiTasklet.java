package io.promptbatch.batch.batchapi;

import io.promptbatch.batch.ApiKeys;
import io.promptbatch.batch.Endpoints;
import io.promptbatch.batch.RunProgress;
import io.promptbatch.batch.RunSpec;
import io.promptbatch.batch.StopSignal;
import io.promptbatch.batch.fanout.RowResolver;
import io.promptbatch.batch.journal.ResponseJournal;
import io.promptbatch.core.client.batchapi.BatchApiClient;
import io.promptbatch.core.prompt.PromptOptions;
import io.promptbatch.core.prompt.PromptReader;
import io.promptbatch.core.provider.BatchLimits;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.batch.core.job.DefaultJobKeyGenerator;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.step.StepContribution;
import org.springframework.batch.core.scope.context.ChunkContext;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.batch.core.step.tasklet.Tasklet;
import org.springframework.batch.infrastructure.repeat.RepeatStatus;

/**
 * The step before the writing step of a {@code --batch-api} run: it plans the run's parts once (recorded before
 * anything is uploaded), then takes them through the provider's Batch API ({@link BatchSubmission}) so that every
 * answer is in the response journal; the usual writing step then writes each row from the journal, in input order,
 * as for a live run. A live run passes through it at once.
 *
 * <p>It runs without a transaction of its own, so that each step the ledger records is committed the moment it is
 * recorded.
 */
public final class BatchApiTasklet implements Tasklet {

	private static final Logger log = LoggerFactory.getLogger(BatchApiTasklet.class);

	/** Job execution-context key: how the batches were left when the run ended without writing ({@value #SUBMITTED}). */
	public static final String ENDING = "batch.ending";

	/** The ending of a {@code --no-wait} run: batches created and running. */
	public static final String SUBMITTED = "submitted";

	/** The ending of a run stopped while it waited: batches running. */
	public static final String WAITING = "waiting";

	private final RunSpec spec;
	private final ApiKeys apiKeys;
	private final Endpoints endpoints;
	private final BatchLedger ledger;
	private final ResponseJournal journal;
	private final Function<Long, RowResolver> resolvers;
	private final StopSignal stop;
	private final RunProgress progress;
	private final Path workDir;

	/**
	 * @param resolvers the run's row resolver, by run id: the same a live run resolves its rows with
	 * @param workDir where batch files are written and results downloaded
	 */
	public BatchApiTasklet(RunSpec spec, ApiKeys apiKeys, Endpoints endpoints, BatchLedger ledger,
			ResponseJournal journal, Function<Long, RowResolver> resolvers, StopSignal stop, RunProgress progress,
			Path workDir) {
		this.spec = spec;
		this.apiKeys = apiKeys;
		this.endpoints = endpoints;
		this.ledger = ledger;
		this.journal = journal;
		this.resolvers = resolvers;
		this.stop = stop;
		this.progress = progress;
		this.workDir = workDir;
	}

	@Override
	public RepeatStatus execute(StepContribution contribution, ChunkContext chunkContext) throws Exception {
		RunSpec.Batching batching = spec.batching();
		if (!batching.enabled()) {
			return RepeatStatus.FINISHED;
		}
		StepExecution step = chunkContext.getStepContext().getStepExecution();
		JobExecution job = step.getJobExecution();
		job.getExecutionContext().remove(ENDING);
		long runId = job.getJobInstance().getInstanceId();
		String baseUrl = spec.target().baseUrl();
		BatchLimits limits = BatchLimits.at(baseUrl)
			.orElseThrow(() -> new IllegalStateException(BatchLimits.noBatchApi(baseUrl)))
			.override(batching.maxBytes(), batching.maxLines());
		BatchPlanner planner = new BatchPlanner(ledger, limits, spec.files().input());
		String tag = ledger.tag(runId).orElse(null);
		if (tag == null) {
			// the same for every execution of the run, so that a plan taken back by a crash is made again with the same
			// names, and what was uploaded or created under them is found
			tag = "promptbatch-run-" + runId + "-"
					+ new DefaultJobKeyGenerator().generateKey(job.getJobParameters()).substring(0, 12);
			RowResolver resolver = resolvers.apply(runId);
			resolver.open();
			int parts = planner.plan(runId, tag, () -> rowsToSend(resolver));
			log.info("Planned {} batch parts for run {} ({})", parts, runId, tag);
			if (parts == 0) {
				return RepeatStatus.FINISHED;
			}
		}
		BatchApiClient.Builder client = BatchApiClient.builder()
			.baseUrl(endpoints.resolve(baseUrl))
			.timeout(spec.resilience().timeout())
			.maxRetries(spec.resilience().maxRetries());
		String keyVariable = spec.target().keyVariable();
		if (keyVariable != null) {
			client.apiKey(apiKeys.lookup(keyVariable)).keyHint("the key in " + keyVariable);
		}
		BatchSubmission submission = new BatchSubmission(client.build(), ledger, planner, journal, workDir,
				spec.files().input(), stop, batching.completionWindow(), batching.maxPoll(),
				spec.resilience().maxRetries());
		progress.answered(submission::linesDone);
		progress.inFlight(submission::linesWaiting);
		BatchSubmission.Ending ending = submission.run(runId, batching.noWait());
		if (ending != BatchSubmission.Ending.COLLECTED) {
			job.getExecutionContext().putString(ENDING, ending == BatchSubmission.Ending.SUBMITTED ? SUBMITTED : WAITING);
			step.setTerminateOnly();
		}
		return RepeatStatus.FINISHED;
	}

	/** The range's rows that need a request, resolved as a live run resolves them. */
	private Iterator<RowResolver.Resolved> rowsToSend(RowResolver resolver) {
		RunSpec.Files files = spec.files();
		PromptOptions options = new PromptOptions(spec.request().system(), spec.request().template(),
				files.skipInvalid());
		PromptReader reader = PromptReader.open(files.input(), options);
		long skipped = reader.skip(files.from());
		return BatchPlanner.toSend(reader, skipped < files.from() ? 0 : files.to() - files.from(), resolver);
	}
}
