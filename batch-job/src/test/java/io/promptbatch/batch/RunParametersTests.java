package io.promptbatch.batch;

import static org.assertj.core.api.Assertions.assertThat;

import io.promptbatch.batch.output.OutputFormat;
import io.promptbatch.core.prompt.InputFingerprint;
import io.promptbatch.core.score.Scorer;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.batch.core.job.parameters.JobParameters;
import tools.jackson.databind.json.JsonMapper;

class RunParametersTests {

	static final JsonMapper JSON = JsonMapper.builder().build();

	static final InputFingerprint FILE = new InputFingerprint(1204, 1_764_000_000_000L, "ab".repeat(32));

	/** A builder with the target's and the request's optional settings all given. */
	static RunSpec.Builder everyRequestSetting() {
		return RunSpec.builder(Path.of("in.jsonl"), Path.of("out.jsonl"), "http://127.0.0.1:9/v1", "kimi-k2.5")
			.modelGiven(true)
			.keyVariable("ACEDATA_API_TOKEN")
			.system("Be brief.")
			.template("Q: {{q}}")
			.skipInvalid(true)
			.maxTokens(64)
			.temperature(0.3);
	}

	@Test
	void aRunsSpecSurvivesItsJobParametersForResume() {
		RunSpec spec = everyRequestSetting()
			.params(Map.of("top_p", JSON.readTree("0.9"), "response_format", JSON.readTree("{\"type\":\"json_object\"}")))
			.autoConcurrency(48)
			.retries(3, Duration.ofSeconds(30))
			.chunkSize(50)
			.range(10, 20)
			.runKey("2026-11-25")
			.budgetUsd(new BigDecimal("2.50"))
			.stream(true)
			.idleTimeout(Duration.ofSeconds(20))
			.rates(600, 100_000)
			.outputFormat(OutputFormat.OPENAI_BATCH)
			.cache(CacheMode.ONLY)
			.score(Scorer.REGEX)
			.limits(Duration.ofMinutes(2), Duration.ofMinutes(7))
			.build();

		JobParameters parameters = RunParameters.of(spec, 10, List.of("expected"), FILE);

		assertThat(RunParameters.toSpec(parameters)).isEqualTo(spec);
		// the key is never a parameter, only the name of its variable
		assertThat(parameters.getString(RunParameters.KEY_VARIABLE)).isEqualTo("ACEDATA_API_TOKEN");
	}

	@Test
	void theKeyNamesTypesAndIdentifyingFlagsAreThoseEarlierRunsWereStoredWith() {
		// given: a spec with every optional setting given, so that every key is written
		RunSpec spec = everyRequestSetting()
			.maxTokensField(io.promptbatch.core.provider.MaxTokensField.of("max_tokens"))
			.params(Map.of("top_p", JSON.readTree("0.9")))
			.runKey("2026-11-25")
			.budgetUsd(new BigDecimal("2.50"))
			.prices(Path.of("prices.csv"))
			.outputFormat(OutputFormat.OPENAI_BATCH)
			.cache(CacheMode.ONLY)
			.score(Scorer.REGEX)
			.build();

		// when
		JobParameters parameters = RunParameters.of(spec, 10, List.of("expected"), FILE);

		// then: a state database written before keeps resuming, so these may never change
		Map<String, String> keys = new java.util.TreeMap<>();
		parameters.forEach(p -> keys.put(p.name(), p.type().getSimpleName() + (p.identifying() ? " identifying" : "")));
		assertThat(keys).containsExactlyInAnyOrderEntriesOf(Map.ofEntries(Map.entry("input", "String identifying"),
				Map.entry("input.sha256", "String identifying"), Map.entry("output", "String identifying"),
				Map.entry("base.url", "String identifying"), Map.entry("model", "String identifying"),
				Map.entry("range.from", "Long identifying"), Map.entry("range.to", "Long identifying"),
				Map.entry("system", "String identifying"), Map.entry("template", "String identifying"),
				Map.entry("skip.invalid", "String identifying"), Map.entry("max.tokens", "Long identifying"),
				Map.entry("temperature", "Double identifying"), Map.entry("run.key", "String identifying"),
				Map.entry("model.given", "String identifying"), Map.entry("params", "String identifying"),
				Map.entry("output.format", "String identifying"), Map.entry("cache", "String identifying"),
				Map.entry("score", "String identifying"), Map.entry("input.size", "Long"),
				Map.entry("input.modified", "Long"), Map.entry("concurrency", "Long"), Map.entry("max.retries", "Long"),
				Map.entry("timeout.ms", "Long"), Map.entry("chunk.size", "Long"), Map.entry("records.total", "Long"),
				Map.entry("columns", "String"), Map.entry("max.tokens.field", "String"), Map.entry("stream", "String"),
				Map.entry("rpm", "Long"), Map.entry("concurrency.auto", "String"), Map.entry("tpm", "Long"),
				Map.entry("idle.timeout.ms", "Long"), Map.entry("max.outage.ms", "Long"),
				Map.entry("max.row.time.ms", "Long"), Map.entry("report", "String"), Map.entry("budget.usd", "String"),
				Map.entry("prices", "String"), Map.entry("key.variable", "String")));
	}

	@Test
	void whatChangesTheAnswersMakesAnotherRunAndWhatDoesNotResumesTheSame() {
		RunSpec spec = RunSpec.of(Path.of("in.csv"), Path.of("out.csv"), "http://127.0.0.1:9/v1", "kimi-k2.5");
		JobParameters base = RunParameters.of(spec, 10, List.of(), FILE);

		for (RunSpec other : List.of(spec.toBuilder().params(Map.of("top_p", JSON.readTree("0.5"))).build(),
				spec.toBuilder().score(Scorer.EXACT).build(), spec.toBuilder().cache(CacheMode.BYPASS).build(),
				spec.toBuilder().outputFormat(OutputFormat.JSONL).build())) {
			assertThat(RunParameters.of(other, 10, List.of(), FILE).getIdentifyingParameters())
				.isNotEqualTo(base.getIdentifyingParameters());
		}
		for (RunSpec same : List.of(spec.toBuilder().concurrency(64).build(),
				spec.toBuilder().limits(Duration.ofMinutes(1), Duration.ofMinutes(2)).build(),
				spec.toBuilder().rates(60, 0).build())) {
			assertThat(RunParameters.of(same, 10, List.of(), FILE).getIdentifyingParameters())
				.isEqualTo(base.getIdentifyingParameters());
		}
	}

	@Test
	void aBatchRunIsAnotherRunThanALiveOneAndItsWaitingSettingsMayChangeBetweenAttempts() {
		RunSpec live = RunSpec.of(Path.of("in.csv"), Path.of("out.csv"), "http://127.0.0.1:9/v1", "kimi-k2.5");
		RunSpec batch = live.toBuilder()
			.batching(new RunSpec.Batching(true, "24h", false, true, Duration.ofSeconds(5), 1000, 2))
			.build();
		JobParameters parameters = RunParameters.of(batch, 10, List.of(), FILE);
		assertThat(RunParameters.toSpec(parameters)).isEqualTo(batch);
		assertThat(RunParameters.toSpec(RunParameters.of(live, 10, List.of(), FILE)).batching())
			.isEqualTo(RunSpec.Batching.OFF);
		assertThat(RunDifferences.between(RunParameters.of(live, 10, List.of(), FILE), parameters))
			.containsExactly("--batch-api: not given then, 'true' now");
		RunSpec waitingOtherwise = batch.toBuilder()
			.batching(new RunSpec.Batching(true, "7d", true, false, Duration.ofSeconds(60), 0, 0))
			.build();
		assertThat(RunDifferences.between(parameters, RunParameters.of(waitingOtherwise, 10, List.of(), FILE)))
			.isEmpty();
	}

	@Test
	void anInputWithOtherContentMakesAnotherRunAndATouchedOneResumesTheSame() {
		RunSpec spec = RunSpec.of(Path.of("in.csv"), Path.of("out.csv"), "http://127.0.0.1:9/v1", "kimi-k2.5");
		JobParameters base = RunParameters.of(spec, 10, List.of(), FILE);

		JobParameters edited = RunParameters.of(spec, 10, List.of(), new InputFingerprint(1310, FILE.modified() + 5000,
				"cd".repeat(32)));
		JobParameters touched = RunParameters.of(spec, 10, List.of(), new InputFingerprint(FILE.size(),
				FILE.modified() + 5000, FILE.sha256()));

		// the job instance is keyed by the identifying parameters' names and values
		var keys = new org.springframework.batch.core.job.DefaultJobKeyGenerator();
		assertThat(keys.generateKey(edited)).isNotEqualTo(keys.generateKey(base));
		assertThat(keys.generateKey(touched)).isEqualTo(keys.generateKey(base));
		assertThat(RunParameters.input(edited)).isEqualTo(new InputFingerprint(1310, FILE.modified() + 5000,
				"cd".repeat(32)));
	}
}
