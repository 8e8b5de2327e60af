package io.promptbatch.cli;

import static io.promptbatch.cli.CliFixtures.execute;
import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.promptbatch.cli.CliFixtures.Result;
import io.promptbatch.core.chat.Message;
import io.promptbatch.core.cost.TokenEstimator;
import io.promptbatch.simulator.ChatSimulator;
import io.promptbatch.simulator.SimulatorConfig;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
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
		// and through Kimi's Batch API: 0.36 input, 1.80 output per million
		assertThat(model.get("batch_cost_usd").decimalValue())
			.isEqualByComparingTo(perMillion(expectedPrompt, "0.36").add(perMillion(120_000, "1.80")));
	}

	@Test
	void estimateShowsTheLiveAndTheBatchCostSideBySide() throws Exception {
		Result result = execute(Map.of(), "estimate", "--input", CliFixtures.SAMPLE_CSV.toString(), "--model",
				"gpt-4o-mini", "--max-tokens", "100", "--state-dir", dir.resolve("state").toString());
		assertThat(result.exitCode()).as(result.err()).isZero();
		assertThat(result.out()).containsPattern("COST\\s+LOW\\s+HIGH\\s+BATCH API")
			.contains("gpt-4o-mini: through the provider's Batch API (run --batch-api): input 0.075, output 0.3");
		String row = result.out().lines().filter(l -> l.startsWith("gpt-4o-mini ")).findFirst().orElseThrow();
		List<String> costs = java.util.Arrays.stream(row.split("\\s+")).filter(c -> c.startsWith("$")).toList();
		// live, low, high, batch: the batch cost is half the live one
		assertThat(new BigDecimal(costs.get(3).substring(1)).doubleValue())
			.isCloseTo(new BigDecimal(costs.get(0).substring(1)).doubleValue() / 2, org.assertj.core.api.Assertions.within(0.0001));
	}

	@Test
	void estimateLearnsCompletionTokensFromEarlierRunsAndRunsListsThem() throws Exception {
		// given: one earlier run of the model in the state directory, against a server (here the simulator on a port
		// of its own, which promptbatch cannot tell from a model's server)
		Path state = dir.resolve("state");
		Path output = dir.resolve("answers.jsonl");
		long completion = 0;
		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder().build())) {
			Result run = execute(Map.of(), "run", "--base-url", sim.baseUrl(), "--model", "kimi-k2.5", "--input",
					CliFixtures.SAMPLE_CSV.toString(), "--output", output.toString(), "--state-dir", state.toString());
			assertThat(run.exitCode()).as(run.err()).isZero();
		}
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
		assertThat(runs.out()).doesNotContain(RunsCommand.SIMULATED);
	}

	@Test
	void runsAnsweredByTheBuiltInSimulatorDoNotFeedTheEstimate() throws Exception {
		// given: a run of kimi-k2.5 against a server with short prompts, and a run of it against the built-in
		// simulator with long prompts, whose (fake) answers are then longer
		Path state = dir.resolve("state");
		Path real = dir.resolve("real.jsonl");
		Path shortPrompts = Files.writeString(dir.resolve("short.csv"), "id,prompt\ns1,Hi\ns2,Hello\ns3,Hey\n");
		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder().build())) {
			Result run = execute(Map.of(), "run", "--base-url", sim.baseUrl(), "--model", "kimi-k2.5", "--input",
					shortPrompts.toString(), "--output", real.toString(), "--state-dir", state.toString());
			assertThat(run.exitCode()).as(run.err()).isZero();
		}
		Path longPrompts = Files.writeString(dir.resolve("long.csv"), "id,prompt\nl1," + "many words ".repeat(200).strip()
				+ "\nl2," + "more words ".repeat(200).strip() + "\n");
		Result simulated = execute(Map.of(), "run", "--provider", "simulator", "--input", longPrompts.toString(),
				"--output", dir.resolve("fake.jsonl").toString(), "--state-dir", state.toString());
		assertThat(simulated.exitCode()).as(simulated.err()).isZero();
		long realMean = Math.round(CliFixtures.jsonl(real).stream().mapToLong(r -> r.get("completion_tokens").asLong())
			.sum() / 3.0);
		long fakeMean = Math.round(CliFixtures.jsonl(dir.resolve("fake.jsonl")).stream()
			.mapToLong(r -> r.get("completion_tokens").asLong()).sum() / 2.0);
		assertThat(fakeMean).as("the simulated run must differ for the test to tell them apart").isGreaterThan(2 * realMean);

		// when
		Result estimate = execute(Map.of(), "estimate", "--input", CliFixtures.SAMPLE_CSV.toString(), "--state-dir",
				state.toString());

		// then: only the run against the server counts
		assertThat(estimate.exitCode()).as(estimate.err()).isZero();
		assertThat(estimate.out()).contains("mean of 1 earlier run(s) of kimi-k2.5").contains(": " + realMean + " per row");
	}

	@Test
	void aRunAnsweredByTheBuiltInSimulatorIsMarkedInItsSummaryAndInRuns() throws Exception {
		// given: a run that fell back to the simulator (no provider, no base URL, no key: a misspelt key variable)
		Path state = dir.resolve("state");
		Path fake = dir.resolve("fake.jsonl");
		Path real = dir.resolve("real.jsonl");
		Result simulated = execute(Map.of("ACEDATA_API_TOKN", "k"), "run", "--input", CliFixtures.SAMPLE_CSV.toString(),
				"--output", fake.toString(), "--state-dir", state.toString());
		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder().build())) {
			Result run = execute(Map.of(), "run", "--base-url", sim.baseUrl(), "--model", "kimi-k2.5", "--input",
					CliFixtures.SAMPLE_CSV.toString(), "--output", real.toString(), "--state-dir", state.toString());
			assertThat(run.exitCode()).as(run.err()).isZero();
		}

		// when
		Result runs = execute(Map.of(), "runs", "--state-dir", state.toString());

		// then
		assertThat(simulated.exitCode()).as(simulated.err()).isZero();
		assertThat(simulated.err()).contains("  simulated: answered by the built-in simulator: the answers are fake");
		JsonNode fakeSummary = CliFixtures.JSON.readTree(SummaryFile.pathFor(fake).toFile());
		assertThat(fakeSummary.get("simulated").asBoolean()).isTrue();
		assertThat(fakeSummary.get("simulated_note").asString()).contains("fake").contains("nothing was paid");
		JsonNode realSummary = CliFixtures.JSON.readTree(SummaryFile.pathFor(real).toFile());
		assertThat(realSummary.get("simulated").asBoolean()).isFalse();
		assertThat(realSummary.has("simulated_note")).isFalse();
		List<String> lines = runs.out().lines().toList();
		assertThat(lines).filteredOn(l -> l.contains("fake.jsonl")).singleElement().asString()
			.endsWith(RunsCommand.SIMULATED);
		assertThat(lines).filteredOn(l -> l.contains("real.jsonl")).singleElement().asString()
			.doesNotContain(RunsCommand.SIMULATED);
	}

	@Test
	void aResumedSimulatedRunIsMarkedInItsSummary() throws Exception {
		// given: a run against the built-in simulator that stopped at its budget
		Path state = dir.resolve("state");
		Path fake = dir.resolve("fake.jsonl");
		Result stopped = execute(Map.of(), "run", "--provider", "simulator", "--input", CliFixtures.SAMPLE_CSV.toString(),
				"--output", fake.toString(), "--state-dir", state.toString(), "--max-tokens", "50", "--budget-usd", "0.0005");
		assertThat(stopped.exitCode()).as(stopped.err()).isEqualTo(1);
		Files.delete(SummaryFile.pathFor(fake));

		// when
		Result resumed = execute(Map.of(), "resume", "--state-dir", state.toString());

		// then
		assertThat(resumed.err()).contains("  simulated: answered by the built-in simulator");
		assertThat(CliFixtures.JSON.readTree(SummaryFile.pathFor(fake).toFile()).get("simulated").asBoolean()).isTrue();
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

	@Test
	void exactAgainstAServerWithoutATokenCountEndpointIsAUsageErrorNamingMoonshot() throws Exception {
		// given: a server that answers every path as llama.cpp's does one it does not have: 404, "File Not Found"
		Path input = CliFixtures.csv(dir, 3);
		for (int status : new int[] { 404, 405 }) {
			HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
			AtomicInteger asked = new AtomicInteger();
			server.createContext("/", exchange -> {
				asked.incrementAndGet();
				byte[] body = "File Not Found".getBytes(java.nio.charset.StandardCharsets.UTF_8);
				exchange.getResponseHeaders().set("Content-Type", "text/plain");
				exchange.sendResponseHeaders(status, body.length);
				exchange.getResponseBody().write(body);
				exchange.close();
			});
			server.start();
			try {
				String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";

				// when
				Result result = execute(Map.of(), "estimate", "--exact", "--base-url", url, "--model", "local",
						"--input", input.toString(), "--state-dir", dir.toString());

				// then: exit 2, saying what the server lacks and who has it
				assertThat(result.exitCode()).as(result.err()).isEqualTo(2);
				assertThat(result.err()).contains("--exact: " + url + " has no token-count endpoint")
					.contains("answered HTTP " + status).contains("only Moonshot's API (--provider moonshot) has one")
					.contains("leave out --exact").doesNotContain("error:");
				assertThat(result.out()).isEmpty();
				assertThat(asked.get()).isBetween(1, 3);
			}
			finally {
				server.stop(0);
			}
		}
	}

	@Test
	void everyKimiModelHasAPriceAndTheEstimateSaysWhenThePricesWereRead() throws Exception {
		// given: one record per model: the seven Ace Data Cloud Kimi models, Kimi K2.6 and the openai provider's default
		List<String> models = List.of("kimi-k2.5", "kimi-k2-thinking", "kimi-k2-thinking-turbo", "kimi-k2-instruct-0905",
				"kimi-k2-0905-preview", "kimi-k2-turbo-preview", "kimi-k2-0711-preview", "kimi-k2.6", "gpt-4o-mini");
		StringBuilder csv = new StringBuilder("id,prompt,model\n");
		for (String m : models) {
			csv.append(m).append(",Say hello.,").append(m).append('\n');
		}
		Path input = Files.writeString(dir.resolve("models.csv"), csv);

		// when
		Result json = execute(Map.of(), "estimate", "--input", input.toString(), "--max-tokens", "100", "--json",
				"--state-dir", dir.toString());
		Result table = execute(Map.of(), "estimate", "--input", input.toString(), "--max-tokens", "100", "--state-dir",
				dir.toString());

		// then: a cost for each, from its own input and output prices
		assertThat(json.exitCode()).as(json.err()).isZero();
		JsonNode root = CliFixtures.JSON.readTree(json.out());
		assertThat(root.get("models")).hasSize(models.size());
		io.promptbatch.core.cost.PriceTable bundled = io.promptbatch.core.cost.PriceTable.bundled();
		for (JsonNode m : root.get("models")) {
			String name = m.get("model").asString();
			assertThat(m.get("cost_usd").isNumber()).as(name).isTrue();
			io.promptbatch.core.cost.ModelPrice price = bundled.price(name).orElseThrow();
			assertThat(m.get("cost_usd").decimalValue()).as(name).isEqualByComparingTo(
					perMillion(m.get("prompt_tokens").asLong(), price.input().toPlainString())
						.add(perMillion(100, price.output().toPlainString())));
		}
		assertThat(root.at("/assumptions/prices_as_of").asString()).isEqualTo("2026-12-02");
		assertThat(table.out()).contains("prices as of 2026-12-02").doesNotContain("no price in the table");
	}

	private static String[] append(String[] args, String last) {
		String[] all = java.util.Arrays.copyOf(args, args.length + 1);
		all[args.length] = last;
		return all;
	}
}
