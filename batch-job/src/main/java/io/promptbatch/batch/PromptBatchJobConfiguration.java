package io.promptbatch.batch;

import io.promptbatch.batch.batchapi.BatchApiTasklet;
import io.promptbatch.batch.batchapi.BatchLedger;
import io.promptbatch.batch.batchapi.UnansweredSender;
import io.promptbatch.batch.fanout.AnswerRow;
import io.promptbatch.batch.fanout.AnswerWindowReader;
import io.promptbatch.batch.fanout.Dispatcher;
import io.promptbatch.batch.fanout.Halt;
import io.promptbatch.batch.fanout.PromptSource;
import io.promptbatch.batch.fanout.RowFinisher;
import io.promptbatch.batch.fanout.RowResolver;
import io.promptbatch.batch.fanout.WindowDispatcher;
import io.promptbatch.batch.fanout.RequestFactory;
import io.promptbatch.batch.journal.ResponseJournal;
import io.promptbatch.batch.output.OutputColumns;
import io.promptbatch.batch.output.OutputFormat;
import io.promptbatch.batch.output.OutputRecovery;
import io.promptbatch.batch.output.ResultFileWriter;
import io.promptbatch.batch.partition.PartitionLimits;
import io.promptbatch.batch.partition.PartitionSpec;
import io.promptbatch.core.client.ChatClient;
import io.promptbatch.core.cost.PriceTable;
import io.promptbatch.core.limit.ConcurrencyLimit;
import io.promptbatch.core.prompt.PromptOptions;
import io.promptbatch.core.prompt.PromptReader;
import org.springframework.batch.core.configuration.annotation.JobScope;
import org.springframework.batch.core.configuration.annotation.StepScope;
import org.springframework.batch.core.job.Job;
import org.springframework.batch.core.job.builder.JobBuilder;
import org.springframework.batch.core.job.parameters.JobParameters;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.step.Step;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.batch.core.step.builder.StepBuilder;
import org.springframework.batch.infrastructure.item.ItemStreamReader;
import org.springframework.batch.infrastructure.item.ItemStreamWriter;
import org.springframework.batch.infrastructure.item.file.FlatFileItemWriter;
import org.springframework.batch.infrastructure.item.file.builder.FlatFileItemWriterBuilder;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.io.FileSystemResource;
import org.springframework.transaction.PlatformTransactionManager;

/**
 * The promptbatch job: one chunk step that reads answers from the fan-out stage and writes them to
 * the output file. The step works on a record range of the input ({@code range.from},
 * {@code range.to}), so that it can later run as one partition among many. A {@code --batch-api} run first
 * goes through the provider's Batch API in a step of its own, which fills the response journal; the chunk step
 * then writes every row from it (a live run passes through that step at once).
 */
@Configuration(proxyBeanMethods = false)
public class PromptBatchJobConfiguration {

	public static final String JOB_NAME = "promptbatch";

	public static final String STEP_NAME = "prompts";

	/** The output writer's name: its restart state is saved under it. */
	public static final String WRITER_NAME = "results";

	/** The step that sends a {@code --batch-api} run's rows through the provider's Batch API. */
	public static final String BATCH_STEP_NAME = "batches";

	@Bean
	Job promptBatchJob(JobRepository jobRepository, Step batchApiStep, Step promptStep) {
		return new JobBuilder(JOB_NAME, jobRepository).start(batchApiStep).next(promptStep).build();
	}

	@Bean
	BatchLedger batchLedger(org.springframework.jdbc.core.JdbcTemplate jdbcTemplate,
			PlatformTransactionManager transactionManager) {
		return new BatchLedger(jdbcTemplate, transactionManager);
	}

	/**
	 * Plans, uploads, creates, polls and collects a {@code --batch-api} run's batches into the journal. Without a
	 * transaction of its own, so that each step the ledger records is committed at once.
	 */
	@Bean
	@JobScope
	Step batchApiStep(JobRepository jobRepository, @Value("#{jobExecution}") org.springframework.batch.core.job.JobExecution jobExecution, ApiKeys apiKeys,
			Endpoints endpoints, BatchLedger batchLedger, ResponseJournal journal, PriceTable prices,
			StopSignal stopSignal, RunProgress progress,
			@Value("${promptbatch.state-dir}") String stateDir) {
		RunSpec spec = RunParameters.toSpec(jobExecution.getJobParameters());
		PriceTable livePrices = livePrices(spec, prices);
		PriceTable runPrices = spec.batching().enabled() ? livePrices.forBatches() : livePrices;
		BatchApiTasklet tasklet = new BatchApiTasklet(spec, apiKeys, endpoints, batchLedger, journal,
				runId -> rowResolver(spec, journal, runId, runPrices, new RowFinisher(runPrices, spec.accounting().score(),
						null, spec.request().maxTokens(), new Halt(stopSignal))),
				stopSignal, progress, java.nio.file.Path.of(stateDir).resolve("batches"));
		return new StepBuilder(BATCH_STEP_NAME, jobRepository)
			.tasklet(tasklet, new org.springframework.batch.infrastructure.support.transaction.ResourcelessTransactionManager())
			.build();
	}

	/** A run's prices: the bundled table with the user's file, at batch prices for a {@code --batch-api} run. */
	private static PriceTable batchPrices(RunSpec spec, PriceTable prices) {
		PriceTable runPrices = livePrices(spec, prices);
		return spec.batching().enabled() ? runPrices.forBatches() : runPrices;
	}

	/** A run's live prices: the bundled table with the user's file. */
	private static PriceTable livePrices(RunSpec spec, PriceTable prices) {
		RunSpec.Accounting accounting = spec.accounting();
		return accounting.prices() == null ? prices : prices.withOverrides(accounting.prices());
	}

	@Bean
	@JobScope
	Step promptStep(JobRepository jobRepository, PlatformTransactionManager transactionManager,
			ItemStreamReader<AnswerRow> answerReader, ItemStreamWriter<AnswerRow> resultWriter,
			@Value("#{jobParameters['" + RunParameters.CHUNK_SIZE + "']}") Long chunkSize,
			@Value("#{jobParameters['" + RunParameters.OUTPUT + "']}") String output) {
		OutputRecovery outputRecovery = new OutputRecovery(java.nio.file.Path.of(output), WRITER_NAME);
		return new StepBuilder(STEP_NAME, jobRepository).<AnswerRow, AnswerRow>chunk(chunkSize.intValue())
			.transactionManager(transactionManager)
			.reader(answerReader)
			.writer(resultWriter)
			.listener(outputRecovery)
			.build();
	}

	/**
	 * The run as a pipeline of named parts: prompts read ahead from the step's record range, resolved against the
	 * journal and the cache, sent through the window in flight, priced and scored; the reader only adapts them.
	 */
	@Bean
	@StepScope
	ItemStreamReader<AnswerRow> answerReader(@Value("#{stepExecution}") StepExecution stepExecution, ApiKeys apiKeys,
			Endpoints endpoints, ResponseJournal journal, PriceTable prices, StopSignal stopSignal,
			RunProgress progress, BatchLedger batchLedger,
			org.springframework.beans.factory.ObjectProvider<PartitionLimits> partitionLimits) {
		RunSpec spec = PartitionSpec.of(stepExecution);
		// one limit of rows in flight, fixed or adaptive: the dispatcher takes each row's slot from it, the row keeps it
		// through its retries and their waits (Retry-After included), and the client's attempts tell it the outcome
		ConcurrencyLimit inFlight = spec.throughput().concurrency().limit();
		long runId = stepExecution.getJobExecution().getJobInstance().getInstanceId();
		RunSpec.Accounting accounting = spec.accounting();
		PriceTable livePrices = livePrices(spec, prices);
		PriceTable runPrices = spec.batching().enabled() ? livePrices.forBatches() : livePrices;
		reportResumption(stepExecution, journal, runId, progress, spec.batching().enabled());
		Halt halt = new Halt(stopSignal);
		// a --batch-api run's journal holds its batches' answers, at the batch price; rows sent live (--batch-fallback
		// live), now or by an earlier execution of the run, are answered at the live price
		java.util.function.Predicate<String> sentLive = spec.batching().enabled() && spec.batching().fallbackLive()
				? batchLedger.notAnsweredByBatch(runId) : fingerprint -> false;
		// a --batch-api run's answers are in the journal: what it does not hold fails with the batches' reason, or is
		// sent live with --batch-fallback live
		WindowDispatcher.Sender unanswered = spec.batching().enabled() && !spec.batching().fallbackLive()
				? new UnansweredSender(batchLedger, runId) : null;
		// a partition shares the run's limits with the other partitions; a run on one process keeps its own. Joined
		// last, after the queries above: the share is renewed until the reader's sender gives it up, so whatever fails
		// before the reader has it must give it up here
		PartitionLimits shared = partitionLimits.getIfAvailable();
		PartitionLimits.Held held = shared == null ? null : shared.join(stepExecution, inFlight);
		try {
			RowFinisher finisher = new RowFinisher(runPrices, livePrices, sentLive, accounting.score(),
					accounting.budgetUsd(), spec.request().maxTokens(), halt, held == null ? null : held.budget());
			AnswerWindowReader reader = new AnswerWindowReader(promptSource(spec), rowResolver(spec, journal, runId,
					runPrices, finisher), windowDispatcher(spec, apiKeys, endpoints, journal, runId, finisher, halt,
							progress, unanswered, inFlight, held),
					finisher, halt, stepExecution::setTerminateOnly);
			progress.inFlight(reader::inFlight);
			progress.answered(reader::rowsDone);
			return reader;
		}
		catch (RuntimeException e) {
			if (held != null) {
				held.close();
			}
			throw e;
		}
	}

	/** Where prompts come from: the input's record range. */
	private static PromptSource promptSource(RunSpec spec) {
		RunSpec.Files files = spec.files();
		PromptOptions options = new PromptOptions(spec.request().system(), spec.request().template(),
				files.skipInvalid());
		return new PromptSource(() -> PromptReader.open(files.input(), options), files.from(), files.to());
	}

	/** What the journal or the cache already holds for a row's request. */
	private static RowResolver rowResolver(RunSpec spec, ResponseJournal journal, long runId, PriceTable prices,
			RowFinisher finisher) {
		RunSpec.Target target = spec.target();
		RunSpec.RequestShape shape = spec.request();
		RequestFactory requests = new RequestFactory(target.model(), target.modelGiven(), shape.maxTokens(),
				shape.temperature(), shape.params(), target.baseUrl(), shape.maxTokensField());
		return new RowResolver(requests, target.baseUrl(), journal, runId, spec.accounting().cache(), prices, finisher);
	}

	/** What sends: one request per row, {@code concurrency} in flight, answers handed back in input order. */
	private static Dispatcher windowDispatcher(RunSpec spec, ApiKeys apiKeys, Endpoints endpoints,
			ResponseJournal journal, long runId, RowFinisher finisher, Halt halt, RunProgress progress,
			WindowDispatcher.@org.jspecify.annotations.Nullable Sender sender, ConcurrencyLimit inFlight,
			PartitionLimits.@org.jspecify.annotations.Nullable Held held) {
		Concurrency concurrency = spec.throughput().concurrency();
		RunSpec.Resilience resilience = spec.resilience();
		progress.adaptiveConcurrency(concurrency.auto() ? inFlight : null);
		// the reorder buffer must cover the slowest answers of a heavy tail: one answer 40x slower than the median
		// must not stop new requests, so the buffer holds many seconds of answers (a few MB)
		int buffer = Math.max(concurrency.max() * 32, 4096);
		if (sender != null) {
			return new WindowDispatcher(WindowDispatcher.Sender.closing(sender, held), inFlight, buffer,
					(fingerprint, response, tries, latency) -> journal.record(runId, fingerprint, response, tries, latency),
					finisher, halt);
		}
		ChatClient.Builder client = ChatClient.builder()
			.attemptLimit(inFlight)
			.baseUrl(endpoints.resolve(spec.target().baseUrl()))
			.timeout(resilience.timeout())
			.maxRetries(resilience.maxRetries())
			.stream(resilience.stream())
			.idleTimeout(resilience.idleTimeout())
			.requestsPerMinute(spec.throughput().rpm())
			.tokensPerMinute(spec.throughput().tpm())
			.requestRate(held == null ? null : held.requests())
			.tokenRate(held == null ? null : held.tokens())
			.maxOutage(resilience.maxOutage())
			.maxRowTime(resilience.maxRowTime());
		String keyVariable = spec.target().keyVariable();
		if (keyVariable != null) {
			client.apiKey(apiKeys.lookup(keyVariable)).keyHint("the key in " + keyVariable);
		}
		ChatClient chat = client.build();
		progress.outage(chat::outage);
		// a partition's hold on the run's shared limits is given up once its requests have landed
		return new WindowDispatcher(WindowDispatcher.Sender.closing(WindowDispatcher.Sender.of(chat), held), inFlight,
				buffer, (fingerprint, response, tries, latency) -> journal.record(runId, fingerprint, response, tries, latency),
				finisher, halt);
	}

	/** Tells the progress what an earlier attempt of this run left: rows written, answers journaled after them. */
	private static void reportResumption(StepExecution stepExecution, ResponseJournal journal, long runId,
			RunProgress progress, boolean batched) {
		long rowsWritten = stepExecution.getExecutionContext().getLong(AnswerWindowReader.ROWS_DONE, 0L);
		long journaled = journal.count(runId);
		// a --batch-api run's answers are all in the journal before its first row is written: no resumption to tell of
		if (rowsWritten > 0 || (journaled > 0 && !batched)) {
			io.promptbatch.batch.output.RunTotals written = io.promptbatch.batch.output.RunTotals
				.from(stepExecution.getExecutionContext());
			// the run's own answers in the journal, less those of the rows already written
			progress.resumption(new RunProgress.Resumption(runId, rowsWritten,
					Math.max(0, journaled - (written.ok() - written.cached()))));
		}
	}

	@Bean
	@StepScope
	ItemStreamWriter<AnswerRow> resultWriter(@Value("#{stepExecution}") StepExecution stepExecution,
			RunProgress progress) {
		JobParameters parameters = stepExecution.getJobExecution().getJobParameters();
		RunSpec spec = PartitionSpec.of(stepExecution);
		OutputColumns columns = new OutputColumns(RunParameters.columns(parameters.getString(RunParameters.COLUMNS)),
				spec.accounting().score() != null);
		OutputFormat format = spec.files().format();
		FlatFileItemWriterBuilder<AnswerRow> file = new FlatFileItemWriterBuilder<AnswerRow>().name(WRITER_NAME)
			.resource(new FileSystemResource(spec.files().output()))
			.encoding("UTF-8")
			.lineSeparator("\n")
			.lineAggregator(format.aggregator(columns));
		String header = format.header(columns);
		if (header != null) {
			file.headerCallback(writer -> writer.write(header));
		}
		FlatFileItemWriter<AnswerRow> writer = file.build();
		return new ResultFileWriter(writer, WRITER_NAME, spec.files().output(), progress);
	}
}
