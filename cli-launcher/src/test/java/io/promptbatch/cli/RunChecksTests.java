package io.promptbatch.cli;

import static io.promptbatch.cli.CliFixtures.execute;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.promptbatch.batch.CacheMode;
import io.promptbatch.batch.Concurrency;
import io.promptbatch.batch.Endpoints;
import io.promptbatch.batch.RunSpec;
import io.promptbatch.batch.output.OutputFormat;
import io.promptbatch.batch.partition.Partitioning;
import io.promptbatch.cli.CliFixtures.Result;
import io.promptbatch.core.prompt.InputScan;
import io.promptbatch.core.provider.MaxTokensField;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.assertj.core.api.AbstractThrowableAssert;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each check of {@code run}'s options against the others: its refusal (exit 2) and what it makes when it passes. */
class RunChecksTests {

	private static final RunTarget ACEDATA = new RunTarget("https://api.acedata.cloud/kimi", "kimi-k2.5",
			"ACEDATA_API_TOKEN", false, "Ace Data Cloud");

	private static final RunTarget OPENAI = new RunTarget("https://api.openai.com/v1", "gpt-4o-mini", "OPENAI_API_KEY",
			false, "OpenAI");

	private static final RunTarget SIMULATOR = new RunTarget(Endpoints.SIMULATOR, "kimi-k2.5", null, true,
			"built-in simulator");

	private static final UnaryOperator<String> TYPED = option -> option;

	@TempDir
	Path dir;

	private static AbstractThrowableAssert<?, ? extends Throwable> refused(ThrowingCallable check) {
		return assertThatThrownBy(check).isInstanceOf(PromptbatchCommand.UsageException.class);
	}

	@Test
	void aRefusalIsExitTwoWithItsMessage() {
		// when: the first check of the command, through the command line
		Result result = execute(Map.of(), "run", "--provider", "simulator", "--no-local-worker", "--input", "in.csv",
				"--output", dir.resolve("out.jsonl").toString());
		// then
		assertThat(result.exitCode()).isEqualTo(2);
		assertThat(result.err()).contains("--no-local-worker needs --partitions N");
	}

	@Test
	void partitionsNeedAStateDatabaseAndNoBatchApiAndARange() {
		refused(() -> RunChecks.partitioning(null, true, null, false))
			.hasMessage("--no-local-worker needs --partitions N");
		refused(() -> RunChecks.partitioning(4, false, " ", false))
			.hasMessage("--partitions needs --state-db JDBC_URL: the partitions and their workers meet in a shared "
					+ "PostgreSQL database");
		refused(() -> RunChecks.partitioning(4, false, "jdbc:postgresql://db/pb", true))
			.hasMessageStartingWith("--partitions and --batch-api do not go together");
		refused(() -> RunChecks.partitioning(0, false, "jdbc:postgresql://db/pb", false))
			.hasMessage("--partitions must be between 1 and 10000, was 0");
		refused(() -> RunChecks.partitioning(10_001, false, "jdbc:postgresql://db/pb", false))
			.hasMessage("--partitions must be between 1 and 10000, was 10001");
		assertThat(RunChecks.partitioning(null, false, null, false)).isEqualTo(Partitioning.NONE);
		assertThat(RunChecks.partitioning(8, false, "jdbc:postgresql://db/pb", false).slots()).isEqualTo(1);
		assertThat(RunChecks.partitioning(8, true, "jdbc:postgresql://db/pb", false).slots()).isZero();
	}

	@Test
	void partitionsCannotReachTheSimulatorInsideThisProcess() {
		refused(() -> RunChecks.partitionsReachTarget(2, SIMULATOR))
			.hasMessageStartingWith("--partitions needs --base-url (or --provider): the built-in simulator runs inside "
					+ "this process");
		RunChecks.partitionsReachTarget(2, OPENAI);
		RunChecks.partitionsReachTarget(null, SIMULATOR);
	}

	@Test
	void theBatchApiOptionsAreCheckedAgainstTheTargetAndTheCache() {
		refused(() -> RunChecks.batching(batch(false, true, "none", "24h"), OPENAI, CacheMode.USE))
			.hasMessage("--no-wait submits batches: it needs --batch-api");
		refused(() -> RunChecks.batching(batch(true, false, "none", "24h"), ACEDATA, CacheMode.USE))
			.hasMessageStartingWith("--batch-api: Ace Data Cloud (https://api.acedata.cloud/kimi) offers no Batch API");
		refused(() -> RunChecks.batching(batch(true, false, "none", "24h"), OPENAI, CacheMode.ONLY))
			.hasMessage("--batch-api sends what the cache does not hold, and --cache-only sends nothing: give one of "
					+ "them");
		refused(() -> RunChecks.batching(batch(true, true, "none", "24h"), SIMULATOR, CacheMode.USE))
			.hasMessageStartingWith("--no-wait leaves the batches running, and the built-in simulator ends with this "
					+ "command");
		refused(() -> RunChecks.batching(batch(true, false, "sometimes", "24h"), OPENAI, CacheMode.USE))
			.hasMessage("--batch-fallback takes none or live, was 'sometimes'");
		refused(() -> RunChecks.batching(batch(true, false, "none", "soon"), OPENAI, CacheMode.USE))
			.hasMessageStartingWith("--completion-window: ");
		assertThat(RunChecks.batching(batch(false, false, "none", "24h"), OPENAI, CacheMode.USE))
			.isEqualTo(RunSpec.Batching.OFF);
		RunSpec.Batching on = RunChecks.batching(batch(true, true, "live", " 24h "), OPENAI, CacheMode.USE);
		assertThat(on.enabled()).isTrue();
		assertThat(on.noWait()).isTrue();
		assertThat(on.fallbackLive()).isTrue();
		assertThat(on.completionWindow()).isEqualTo("24h");
	}

	@Test
	void concurrencyIsANumberOrAutoCappedAtTheCeilingWithAWarning() {
		StringWriter said = new StringWriter();
		PrintWriter err = new PrintWriter(said, true);
		refused(() -> RunChecks.concurrency("abc", 64, TYPED, err))
			.hasMessage("--concurrency takes a number or 'auto', was 'abc'");
		refused(() -> RunChecks.concurrency("abc", 64, o -> o + " (from the environment variable X)", err))
			.hasMessage("--concurrency (from the environment variable X) takes a number or 'auto', was 'abc'");
		refused(() -> RunChecks.concurrency("0", 64, TYPED, err)).hasMessageStartingWith("--concurrency: ");
		refused(() -> RunChecks.concurrency("auto", 0, TYPED, err)).hasMessageStartingWith("--max-concurrency: ");
		assertThat(RunChecks.concurrency(" 12 ", 64, TYPED, err)).isEqualTo(Concurrency.fixed(12));
		assertThat(RunChecks.concurrency("AUTO", 64, TYPED, err)).isEqualTo(Concurrency.auto(64));
		assertThat(said.toString()).isEmpty();
		assertThat(RunChecks.concurrency("5000", 64, TYPED, err)).isEqualTo(Concurrency.fixed(Concurrency.CEILING));
		assertThat(said.toString()).isEqualTo("promptbatch: --concurrency 5000 is above the ceiling of 1024 requests in "
				+ "flight; using 1024" + System.lineSeparator());
	}

	@Test
	void theOutputFormatIsNamedOrTakenFromTheExtension() {
		refused(() -> RunChecks.outputFormat("xml", Path.of("out.jsonl"))).hasMessageStartingWith("--output-format: ");
		refused(() -> RunChecks.outputFormat(null, Path.of("out.txt")))
			.hasMessage("out.txt: unknown output format; name the file .jsonl or .csv (or choose one with "
					+ "--output-format)");
		assertThat(RunChecks.outputFormat(null, Path.of("out.csv"))).isEqualTo(OutputFormat.CSV);
		assertThat(RunChecks.outputFormat("openai-batch", Path.of("out.jsonl"))).isEqualTo(OutputFormat.OPENAI_BATCH);
	}

	@Test
	void aScorerAndAMaxTokensFieldAreNamed() {
		refused(() -> RunChecks.scorer("fuzzy")).hasMessageStartingWith("--score: ");
		assertThat(RunChecks.scorer(null)).isNull();
		assertThat(RunChecks.scorer("exact").id()).isEqualTo("exact");
		refused(() -> RunChecks.maxTokensField("max_length")).hasMessageStartingWith("--max-tokens-field: ");
		assertThat(RunChecks.maxTokensField("max_completion_tokens")).isEqualTo(MaxTokensField.MAX_COMPLETION_TOKENS);
		assertThat(RunChecks.maxTokensField(null)).isNull();
	}

	@Test
	void aBudgetNeedsACompletionLimitAndTheModelsPrice() {
		BigDecimal budget = new BigDecimal("5");
		refused(() -> RunChecks.budget(budget, null, "kimi-k2.5", null))
			.hasMessage("--budget-usd needs --max-tokens: without a completion limit a request's worst case has no bound");
		refused(() -> RunChecks.budget(budget, 100, "my-own-model", null))
			.hasMessage("--budget-usd: model my-own-model has no price; add it with --prices FILE");
		RunChecks.budget(budget, 100, "kimi-k2.5", null);
		RunChecks.budget(null, null, "my-own-model", null);
	}

	@Test
	void aScorerThatComparesNeedsAnExpectedColumn() throws Exception {
		Path input = Files.writeString(dir.resolve("in.csv"), "prompt\nhello\n");
		InputScan scan = InputScan.of(input, new io.promptbatch.core.prompt.PromptOptions(null, null, false));
		refused(() -> RunChecks.expectedColumn(RunChecks.scorer("exact"), scan, input))
			.hasMessage("--score exact compares answers with an 'expected' column or field, and " + input
					+ " has none; add one");
		RunChecks.expectedColumn(null, scan, input);
		Path withExpected = Files.writeString(dir.resolve("expected.csv"), "prompt,expected\nhello,hi\n");
		RunChecks.expectedColumn(RunChecks.scorer("exact"),
				InputScan.of(withExpected, new io.promptbatch.core.prompt.PromptOptions(null, null, false)), withExpected);
	}

	private static BatchApiOptions batch(boolean on, boolean noWait, String fallback, String window) {
		BatchApiOptions o = new BatchApiOptions();
		o.batchApi = on;
		o.noWait = noWait;
		o.batchFallback = fallback;
		o.completionWindow = window;
		o.batchMaxPoll = Duration.ofMinutes(1);
		return o;
	}

}
