package io.promptbatch.cli;

import static io.promptbatch.cli.CliFixtures.execute;
import static org.assertj.core.api.Assertions.assertThat;

import io.promptbatch.cli.CliFixtures.Result;
import io.promptbatch.core.cost.TokenEstimator;
import io.promptbatch.core.prompt.Message;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

class EstimateAndRunsIntegrationTests {

	@TempDir
	Path dir;

	private static BigDecimal perMillion(long tokens, String price) {
		return new BigDecimal(price).multiply(BigDecimal.valueOf(tokens)).divide(BigDecimal.valueOf(1_000_000), 10,
				RoundingMode.HALF_UP);
	}

	@Test
	void estimateJsonIsThePriceTableArithmeticOnTokensCountedAsTheRunWouldSendThem() throws Exception {
		// given: 1,000 rows, with a system message added as the run would
		Path input = CliFixtures.csv(dir, 1000);

		// when
		Result result = execute(Map.of(), "estimate", "--input", input.toString(), "--model", "kimi-k2.5",
				"--system", "Be brief.", "--max-tokens", "120", "--json", "--state-dir", dir.resolve("state").toString());

		// then
		assertThat(result.exitCode()).as(result.err()).isZero();
		JsonNode model = CliFixtures.JSON.readTree(result.out()).get("models").get(0);
		TokenEstimator tokens = new TokenEstimator();
		long expectedPrompt = 0;
		for (int i = 1; i <= 1000; i++) {
			expectedPrompt += tokens.promptTokens(List.of(Message.system("Be brief."), Message.user(CliFixtures.promptOf(i))));
		}
		assertThat(model.get("model").asString()).isEqualTo("kimi-k2.5");
		assertThat(model.get("rows").asLong()).isEqualTo(1000);
		assertThat(model.get("prompt_tokens").asLong()).isEqualTo(expectedPrompt);
		assertThat(model.get("completion_tokens").asLong()).isEqualTo(120_000);
		// kimi-k2.5: 0.60 input, 3.00 output per million
		BigDecimal cost = perMillion(expectedPrompt, "0.60").add(perMillion(120_000, "3.00"));
		assertThat(model.get("cost_usd").decimalValue()).isEqualByComparingTo(cost);
		assertThat(model.get("cost_low_usd").decimalValue()).isEqualByComparingTo(perMillion(expectedPrompt, "0.60"));
	}

	@Test
	void estimateLearnsCompletionTokensFromEarlierRunsAndRunsListsThem() throws Exception {
		// given: one earlier run of the model in the state directory
		Path state = dir.resolve("state");
		Path output = dir.resolve("answers.jsonl");
		Result run = execute(Map.of(), "run", "--provider", "simulator", "--input", CliFixtures.SAMPLE_CSV.toString(),
				"--output", output.toString(), "--state-dir", state.toString());
		assertThat(run.exitCode()).as(run.err()).isZero();
		long completion = 0;
		for (JsonNode row : CliFixtures.jsonl(output)) {
			completion += row.get("completion_tokens").asLong();
		}
		long mean = Math.round(completion / 24.0);

		// when
		Result estimate = execute(Map.of(), "estimate", "--input", CliFixtures.SAMPLE_JSONL.toString(), "--state-dir",
				state.toString());
		Result runs = execute(Map.of(), "runs", "--state-dir", state.toString());

		// then
		assertThat(estimate.exitCode()).as(estimate.err()).isZero();
		assertThat(estimate.out()).contains("mean of 1 earlier run(s) of kimi-k2.5").contains(mean + " per row")
			.contains("approximates the provider's own tokenizer");
		assertThat(estimate.out()).containsPattern("kimi-k2.5\\s+22\\s+\\d+\\s+" + (22 * mean) + "\\s+\\$");
		assertThat(runs.exitCode()).isZero();
		assertThat(runs.out()).containsPattern("1\\s+\\S+ \\S+\\s+\\S+ \\S+\\s+completed\\s+24\\s+0\\s+\\d+\\s+" + completion
				+ "\\s+0\\.\\d{4}\\s+.*prompts.csv -> .*answers.jsonl");
	}

	@Test
	void anOpenAiBatchFileIsEstimatedUnderTheModelTheRunWouldName() throws Exception {
		Path batch = Path.of("../sample-data/openai-batch.jsonl");

		Result asGiven = execute(Map.of(), "estimate", "--input", batch.toString(), "--max-tokens", "10", "--json",
				"--state-dir", dir.toString());
		Result overridden = execute(Map.of(), "estimate", "--input", batch.toString(), "--model", "kimi-k2-0905-preview",
				"--max-tokens", "10", "--json", "--state-dir", dir.toString());

		// the bodies name kimi-k2.5; --model overrides a batch body, as it does in the run
		assertThat(CliFixtures.JSON.readTree(asGiven.out()).get("models")).hasSize(1);
		assertThat(CliFixtures.JSON.readTree(asGiven.out()).at("/models/0/model").asString()).isEqualTo("kimi-k2.5");
		assertThat(CliFixtures.JSON.readTree(overridden.out()).get("models")).hasSize(1);
		assertThat(CliFixtures.JSON.readTree(overridden.out()).at("/models/0/model").asString())
			.isEqualTo("kimi-k2-0905-preview");
		assertThat(CliFixtures.JSON.readTree(overridden.out()).at("/models/0/rows").asLong()).isEqualTo(10);
	}

	@Test
	void aRecordsOwnMaxTokensReplacesTheFlagAndCapsTheGuess() throws Exception {
		// given: 10 records, 4 of them with a completion limit of their own (20), as the run would send them
		StringBuilder csv = new StringBuilder("id,prompt,max_tokens\n");
		for (int i = 1; i <= 10; i++) {
			csv.append("r").append(i).append(",Say ").append(i).append(',').append(i <= 4 ? "20" : "").append('\n');
		}
		Path input = Files.writeString(dir.resolve("limits.csv"), csv);

		// when: with a run limit of 100, and with none (the default guess: 300, low 50, high 1000)
		Result limited = execute(Map.of(), "estimate", "--input", input.toString(), "--model", "kimi-k2.5",
				"--max-tokens", "100", "--json", "--state-dir", dir.resolve("state").toString());
		Result guessed = execute(Map.of(), "estimate", "--input", input.toString(), "--model", "kimi-k2.5", "--json",
				"--state-dir", dir.resolve("state").toString());

		// then
		assertThat(limited.exitCode()).as(limited.err()).isZero();
		JsonNode l = CliFixtures.JSON.readTree(limited.out()).at("/models/0");
		assertThat(l.get("completion_tokens").asLong()).isEqualTo(4 * 20 + 6 * 100);
		assertThat(l.get("completion_high").asLong()).isEqualTo(4 * 20 + 6 * 100);
		assertThat(l.get("completion_low").asLong()).isZero();
		assertThat(l.get("rows_with_own_max_tokens").asLong()).isEqualTo(4);
		BigDecimal high = perMillion(l.get("prompt_tokens").asLong(), "0.60").add(perMillion(680, "3.00"));
		assertThat(l.get("cost_high_usd").decimalValue()).isEqualByComparingTo(high);
		JsonNode g = CliFixtures.JSON.readTree(guessed.out()).at("/models/0");
		assertThat(g.get("completion_tokens").asLong()).isEqualTo(4 * 20 + 6 * 300);
		assertThat(g.get("completion_low").asLong()).isEqualTo(4 * 20 + 6 * 50);
		assertThat(g.get("completion_high").asLong()).isEqualTo(4 * 20 + 6 * 1000);
	}

	@Test
	void anUnknownModelHasNoPriceAndAPriceFileCanAddIt() throws Exception {
		Path prices = dir.resolve("prices.json");
		Files.writeString(prices, "{\"as_of\":\"2026-11-20\",\"models\":{\"my-model\":{\"input\":1.0,\"output\":2.0}}}");

		Result unknown = execute(Map.of(), "estimate", "--input", CliFixtures.SAMPLE_CSV.toString(), "--model",
				"my-model", "--max-tokens", "10", "--state-dir", dir.toString());
		Result priced = execute(Map.of(), "estimate", "--input", CliFixtures.SAMPLE_CSV.toString(), "--model",
				"my-model", "--max-tokens", "10", "--prices", prices.toString(), "--json", "--state-dir", dir.toString());

		assertThat(unknown.out()).contains("no price in the table: cost unknown");
		JsonNode model = CliFixtures.JSON.readTree(priced.out()).get("models").get(0);
		BigDecimal cost = perMillion(model.get("prompt_tokens").asLong(), "1.0").add(perMillion(240, "2.0"));
		assertThat(model.get("cost_usd").decimalValue()).isEqualByComparingTo(cost);
	}

	@Test
	void runKeyMakesANewRunOfTheSameFilesAndTheSameKeyTwiceIsAlreadyComplete() throws Exception {
		Path state = dir.resolve("state");
		String[] base = { "run", "--provider", "simulator", "--input", CliFixtures.SAMPLE_CSV.toString(), "--output",
				dir.resolve("nightly.jsonl").toString(), "--state-dir", state.toString(), "--run-key" };

		Result monday = execute(Map.of(), append(base, "2026-11-23"));
		Result mondayAgain = execute(Map.of(), append(base, "2026-11-23"));
		Result tuesday = execute(Map.of(), append(base, "2026-11-24"));
		Result runs = execute(Map.of(), "runs", "--state-dir", state.toString());

		assertThat(monday.exitCode()).isZero();
		assertThat(mondayAgain.exitCode()).isZero();
		assertThat(mondayAgain.err()).contains("already completed");
		assertThat(tuesday.exitCode()).isZero();
		assertThat(tuesday.err()).contains("run 2 completed");
		assertThat(runs.out()).contains("(key 2026-11-23)").contains("(key 2026-11-24)");
	}

	@Test
	void defaultsComeFromTheEnvironmentThenTheConfigFile() throws Exception {
		Path config = dir.resolve("promptbatch.properties");
		Files.writeString(config, "state-dir=" + dir.resolve("from-file") + "\nrun.concurrency=3\nprovider=simulator\n");

		Result fromFile = execute(Map.of(), "run", "--config", config.toString(), "--input",
				CliFixtures.SAMPLE_CSV.toString(), "--output", dir.resolve("a.jsonl").toString());
		Result fromEnv = execute(Map.of("PROMPTBATCH_CONFIG", config.toString(), "PROMPTBATCH_STATE_DIR",
				dir.resolve("from-env").toString()), "run", "--input", CliFixtures.SAMPLE_CSV.toString(), "--output",
				dir.resolve("b.jsonl").toString());
		Result missing = execute(Map.of(), "run", "--config", dir.resolve("nope.properties").toString(), "--input",
				"x.csv", "--output", "y.jsonl");

		assertThat(fromFile.exitCode()).as(fromFile.err()).isZero();
		assertThat(fromFile.err()).contains("concurrency 3").doesNotContain("no --provider");
		assertThat(dir.resolve("from-file/promptbatch.mv.db")).exists();
		assertThat(fromEnv.exitCode()).as(fromEnv.err()).isZero();
		assertThat(dir.resolve("from-env/promptbatch.mv.db")).exists();
		assertThat(missing.exitCode()).isEqualTo(2);
		assertThat(missing.err()).contains("nope.properties: config file not found");
	}

	@Test
	void exactAsksTheProvidersTokenCountEndpointAndSendsNoChatRequest() throws Exception {
		Path input = CliFixtures.csv(dir, 40);
		try (io.promptbatch.simulator.ChatSimulator sim = io.promptbatch.simulator.ChatSimulator
			.start(io.promptbatch.simulator.SimulatorConfig.builder().requiredKey("k-moon").build())) {
			Result result = execute(Map.of("MOONSHOT_API_KEY", "k-moon"), "estimate", "--exact", "--provider",
					"moonshot", "--base-url", sim.baseUrl(), "--model", "kimi-k2-0905-preview", "--max-tokens", "50",
					"--json", "--input", input.toString(), "--state-dir", dir.toString());

			assertThat(result.exitCode()).as(result.err()).isZero();
			long expected = 0;
			for (int i = 1; i <= 40; i++) {
				expected += io.promptbatch.simulator.SimulatedAnswers.promptTokensFor(List.of(CliFixtures.promptOf(i)));
			}
			JsonNode root = CliFixtures.JSON.readTree(result.out());
			assertThat(root.get("models").get(0).get("prompt_tokens").asLong()).isEqualTo(expected);
			assertThat(root.get("assumptions").get("tokenizer").asString()).contains("token-count endpoint");
			assertThat(sim.counters().tokenCounts()).isEqualTo(40);
			assertThat(sim.counters().requests()).isZero();
		}
	}

	private static String[] append(String[] args, String last) {
		String[] all = java.util.Arrays.copyOf(args, args.length + 1);
		all[args.length] = last;
		return all;
	}
}
