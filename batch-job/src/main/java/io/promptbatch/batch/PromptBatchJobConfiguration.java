package io.promptbatch.batch;

import io.promptbatch.batch.fanout.AnswerRow;
import io.promptbatch.batch.fanout.AnswerWindowReader;
import io.promptbatch.batch.fanout.RequestFactory;
import io.promptbatch.batch.journal.ResponseJournal;
import io.promptbatch.batch.output.OutputColumns;
import io.promptbatch.batch.output.OutputFormat;
import io.promptbatch.batch.output.OutputRecovery;
import io.promptbatch.batch.output.ResultFileWriter;
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
 * {@code range.to}), so that it can later run as one partition among many.
 */
@Configuration(proxyBeanMethods = false)
public class PromptBatchJobConfiguration {

	public static final String JOB_NAME = "promptbatch";

	public static final String STEP_NAME = "prompts";

	/** The output writer's name: its restart state is saved under it. */
	static final String WRITER_NAME = "results";

	@Bean
	Job promptBatchJob(JobRepository jobRepository, Step promptStep) {
		return new JobBuilder(JOB_NAME, jobRepository).start(promptStep).build();
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

	@Bean
	@StepScope
	ItemStreamReader<AnswerRow> answerReader(@Value("#{stepExecution}") StepExecution stepExecution, ApiKeys apiKeys,
			Endpoints endpoints, ResponseJournal journal, PriceTable prices, StopSignal stopSignal,
			RunProgress progress) {
		JobParameters parameters = stepExecution.getJobExecution().getJobParameters();
		RunSpec spec = RunParameters.toSpec(parameters);
		PriceTable runPrices = spec.prices() == null ? prices : prices.withOverrides(spec.prices());
		// rows in flight are bounded by the concurrency; with 'auto', attempts are held to an adaptive limit
		// below it, so that a row waiting out a Retry-After does not hold a slot
		ConcurrencyLimit rows = ConcurrencyLimit.fixed(spec.concurrency());
		ConcurrencyLimit attempts = spec.autoConcurrency() ? ConcurrencyLimit.adaptive(spec.concurrency()) : null;
		progress.adaptiveConcurrency(attempts);
		ChatClient.Builder client = ChatClient.builder()
			.attemptLimit(attempts)
			.baseUrl(endpoints.resolve(spec.baseUrl()))
			.timeout(spec.timeout())
			.maxRetries(spec.maxRetries())
			.stream(spec.stream())
			.idleTimeout(spec.idleTimeout())
			.requestsPerMinute(spec.rpm())
			.tokensPerMinute(spec.tpm())
			.maxOutage(spec.maxOutage())
			.maxRowTime(spec.maxRowTime());
		if (spec.keyVariable() != null) {
			client.apiKey(apiKeys.lookup(spec.keyVariable())).keyHint("the key in " + spec.keyVariable());
		}
		PromptOptions options = new PromptOptions(spec.system(), spec.template(), spec.skipInvalid());
		// the reorder buffer must cover the slowest answers of a heavy tail: one answer 40x slower than the median
		// must not stop new requests, so the buffer holds many seconds of answers (a few MB)
		int buffer = Math.max(spec.concurrency() * 32, 4096);
		ChatClient chat = client.build();
		long runId = stepExecution.getJobExecution().getJobInstance().getInstanceId();
		long rowsWritten = stepExecution.getExecutionContext().getLong(AnswerWindowReader.ROWS_DONE, 0L);
		long journaled = journal.count(runId);
		if (rowsWritten > 0 || journaled > 0) {
			io.promptbatch.batch.output.RunTotals written = io.promptbatch.batch.output.RunTotals
				.from(stepExecution.getExecutionContext());
			// the run's own answers in the journal, less those of the rows already written
			progress.resumption(new RunProgress.Resumption(runId, rowsWritten,
					Math.max(0, journaled - (written.ok() - written.cached()))));
		}
		progress.outage(chat::outage);
		AnswerWindowReader reader = new AnswerWindowReader(() -> PromptReader.open(spec.input(), options),
				chat, spec.baseUrl(),
				new RequestFactory(spec.model(), spec.modelGiven(), spec.maxTokens(), spec.temperature(), spec.params(),
						spec.baseUrl(), spec.maxTokensField()),
				journal, runPrices, runId, spec.concurrency(),
				rows, buffer, spec.from(), spec.to(), stopSignal, stepExecution::setTerminateOnly, spec.budgetUsd(),
				spec.cache(), spec.score());
		progress.inFlight(reader::inFlight);
		progress.answered(reader::rowsDone);
		return reader;
	}

	@Bean
	@StepScope
	ItemStreamWriter<AnswerRow> resultWriter(@Value("#{stepExecution}") StepExecution stepExecution,
			RunProgress progress) {
		JobParameters parameters = stepExecution.getJobExecution().getJobParameters();
		RunSpec spec = RunParameters.toSpec(parameters);
		OutputColumns columns = new OutputColumns(RunParameters.columns(parameters.getString(RunParameters.COLUMNS)),
				spec.score() != null);
		OutputFormat format = spec.outputFormat();
		FlatFileItemWriterBuilder<AnswerRow> file = new FlatFileItemWriterBuilder<AnswerRow>().name(WRITER_NAME)
			.resource(new FileSystemResource(spec.output()))
			.encoding("UTF-8")
			.lineSeparator("\n")
			.lineAggregator(format.aggregator(columns));
		String header = format.header(columns);
		if (header != null) {
			file.headerCallback(writer -> writer.write(header));
		}
		FlatFileItemWriter<AnswerRow> writer = file.build();
		return new ResultFileWriter(writer, WRITER_NAME, spec.output(), progress);
	}
}
