package io.promptbatch.cli;

import static io.promptbatch.cli.CliFixtures.execute;
import static io.promptbatch.cli.CliFixtures.jsonl;
import static org.assertj.core.api.Assertions.assertThat;

import io.promptbatch.cli.CliFixtures.Result;
import io.promptbatch.simulator.ChatSimulator;
import io.promptbatch.simulator.Latency;
import io.promptbatch.simulator.SimulatedAnswers;
import io.promptbatch.simulator.SimulatorConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

class PromptbatchCommandIntegrationTests {

	@TempDir
	Path dir;

	@Test
	void runsTheSampleAgainstTheBuiltInSimulatorWhenNoKeyIsSetAndDoesNotRunItTwice() throws Exception {
		// given
		Path output = dir.resolve("answers.jsonl");
		String[] args = { "run", "--input", CliFixtures.SAMPLE_CSV.toString(), "--output", output.toString(),
				"--state-dir", dir.resolve("state").toString() };

		// when
		Result first = execute(Map.of(), args);

		// then
		assertThat(first.exitCode()).as(first.err()).isZero();
		assertThat(first.err()).contains("built-in simulator").contains("completed: 24 rows, 24 ok, 0 failed");
		List<JsonNode> rows = jsonl(output);
		assertThat(rows).hasSize(24);
		assertThat(rows.get(0).get("id").asString()).isEqualTo("q01");
		assertThat(rows.get(0).get("answer").asString())
			.isEqualTo(SimulatedAnswers.answerFor("Explain, in two sentences, why the sky is blue."));
		assertThat(rows.get(0).get("topic").asString()).isEqualTo("science");
		assertThat(rows.get(8).get("id").asString()).isEqualTo("q09");

		// when: the same command again
		Result second = execute(Map.of(), args);

		// then
		assertThat(second.exitCode()).isZero();
		assertThat(second.err()).contains("already completed (24 rows");
		assertThat(jsonl(output)).hasSize(24);
	}

	@Test
	void runsTheMultiTurnJsonlSampleIntoCsv() throws Exception {
		Path output = dir.resolve("answers.csv");

		Result result = execute(Map.of(), "run", "--provider", "simulator", "--input",
				CliFixtures.SAMPLE_JSONL.toString(), "--output", output.toString(), "--state-dir",
				dir.resolve("state").toString());

		assertThat(result.exitCode()).as(result.err()).isZero();
		String csv = Files.readString(output, StandardCharsets.UTF_8);
		assertThat(csv).startsWith("id,status,model,answer,reasoning,finish_reason,prompt_tokens,completion_tokens,"
				+ "total_tokens,cost_usd,latency_ms,attempts,error,cached,tool_calls,refusal,logprobs,system_fingerprint,choices,extra,topic\n");
		// the conversation's second user turn is answered as such
		assertThat(csv).contains(SimulatedAnswers.answerFor("Temples and a quiet walk, please. Suggest a route for day one.", 2));
	}

	@Test
	void exitsThreeWhenSomeRowsFailAndWritesTheirErrors() throws Exception {
		// given: three prompts the provider rejects for themselves
		Path input = dir.resolve("mixed.csv");
		Files.writeString(input, "id,prompt\nr1,fine\nr2,[[sim:status=400]] rejected\nr3,also fine\n"
				+ "r4,[[sim:status=422]] filtered\nr5,[[sim:status=400]] again\n");
		Path output = dir.resolve("answers.jsonl");

		// when
		Result result = execute(Map.of(), "run", "--provider", "simulator", "--input", input.toString(), "--output",
				output.toString(), "--state-dir", dir.resolve("state").toString());

		// then
		assertThat(result.exitCode()).as(result.err()).isEqualTo(3);
		List<JsonNode> rows = jsonl(output);
		assertThat(rows).extracting(r -> r.get("status").asString())
			.containsExactly("ok", "failed", "ok", "failed", "failed");
		assertThat(rows.get(1).get("error").asString()).startsWith("HTTP 400 simulated_400: Simulated status 400");
		assertThat(rows.get(3).get("error").asString()).startsWith("HTTP 422");
		assertThat(rows.get(1).get("answer").isNull()).isTrue();
		assertThat(result.err()).contains("5 rows, 2 ok, 3 failed");

		// and: the summary file equals the sums over the rows
		JsonNode summary = CliFixtures.JSON.readTree(dir.resolve("answers.jsonl.summary.json").toFile());
		assertThat(summary.get("ok").asLong()).isEqualTo(2);
		assertThat(summary.get("failed").asLong()).isEqualTo(3);
		assertThat(summary.get("exit_code").asInt()).isEqualTo(3);
		assertThat(summary.get("prompt_tokens").asLong())
			.isEqualTo(rows.stream().filter(r -> !r.get("prompt_tokens").isNull()).mapToLong(r -> r.get("prompt_tokens").asLong()).sum());
		assertThat(summary.get("completion_tokens").asLong())
			.isEqualTo(rows.stream().filter(r -> !r.get("completion_tokens").isNull()).mapToLong(r -> r.get("completion_tokens").asLong()).sum());
		assertThat(summary.get("cost_usd").decimalValue()).isEqualByComparingTo(rows.stream()
			.filter(r -> !r.get("cost_usd").isNull())
			.map(r -> r.get("cost_usd").decimalValue())
			.reduce(java.math.BigDecimal.ZERO, java.math.BigDecimal::add));
		long maxLatency = rows.stream().mapToLong(r -> r.get("latency_ms").asLong()).max().orElseThrow();
		assertThat(summary.get("latency_ms").get("p99").asLong()).isBetween((long) (maxLatency * 0.95), (long) (maxLatency * 1.06) + 1);
		assertThat(summary.get("wall_seconds").asDouble()).isPositive();
	}

	@Test
	void autoConcurrencyTellsWhereItEndedSoThatTheNextRunCanStartThere() throws Exception {
		// given: a provider that answers 429 above 4 requests in flight
		Path input = CliFixtures.csv(dir, 600);
		Path output = dir.resolve("answers.jsonl");
		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder()
			.latency(Latency.fixed(Duration.ofMillis(10)))
			.maxInFlight(4)
			.build())) {
			// when
			Result result = execute(Map.of("PROMPTBATCH_API_KEY", "k"), "run", "--base-url", sim.baseUrl(), "--model",
					"kimi-k2.5", "--concurrency", "auto", "--input", input.toString(), "--output", output.toString(),
					"--state-dir", dir.resolve("state").toString());

			// then: the limit it ended at, the highest it tried (refused above 4) and the 429s the simulator sent
			assertThat(result.exitCode()).as(result.err()).isZero();
			java.util.regex.Matcher m = java.util.regex.Pattern
				.compile("concurrency: auto, limit (\\d+) at the end \\(highest (\\d+)\\), (\\d+) answers said the "
						+ "provider was overloaded; --concurrency (\\d+) starts there next time")
				.matcher(result.err());
			assertThat(m.find()).as(result.err()).isTrue();
			assertThat(Integer.parseInt(m.group(1))).isBetween(3, 4);
			assertThat(Integer.parseInt(m.group(2))).isGreaterThan(4);
			assertThat(Long.parseLong(m.group(3))).isEqualTo(sim.counters().status(429));
			assertThat(m.group(4)).isEqualTo(m.group(1));
			JsonNode summary = CliFixtures.JSON.readTree(dir.resolve("answers.jsonl.summary.json").toFile());
			assertThat(summary.at("/concurrency/auto_limit_at_end").asInt()).isEqualTo(Integer.parseInt(m.group(1)));
			assertThat(summary.at("/concurrency/auto_highest").asInt()).isEqualTo(Integer.parseInt(m.group(2)));
			assertThat(summary.at("/concurrency/overloaded_answers").asLong()).isEqualTo(Long.parseLong(m.group(3)));
		}
	}

	@Test
	void wrongKeyStopsTheRunWithExitOneAndNamesTheVariableButNeverTheKey() throws Exception {
		Path input = CliFixtures.csv(dir, 300);
		Path output = dir.resolve("answers.jsonl");
		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder()
			.latency(Latency.fixed(Duration.ofMillis(5)))
			.requiredKey("the-right-key")
			.build())) {
			Result result = execute(Map.of("PROMPTBATCH_API_KEY", "sk-canary-wrong-key"), "run", "--base-url",
					sim.baseUrl(), "--model", "kimi-k2.5", "--concurrency", "8", "--input", input.toString(), "--output",
					output.toString(), "--state-dir", dir.resolve("state").toString());

			assertThat(result.exitCode()).as(result.err()).isEqualTo(1);
			assertThat(result.err()).contains("401").contains("PROMPTBATCH_API_KEY").doesNotContain("sk-canary-wrong-key");
			assertThat(sim.counters().requests()).isLessThanOrEqualTo(8);
			String log = Files.readString(dir.resolve("state/promptbatch.log"));
			assertThat(log).doesNotContain("sk-canary-wrong-key");
		}
	}

	@Test
	void refusesBadInputWithFileLineAndExitTwoBeforeAnyRequest() throws Exception {
		Path input = dir.resolve("bad.csv");
		Files.writeString(input, "id,prompt\nb1,fine\nb2,\"never closed\nb3,x\n");

		Result result = execute(Map.of(), "run", "--provider", "simulator", "--input", input.toString(), "--output",
				dir.resolve("out.jsonl").toString(), "--state-dir", dir.resolve("state").toString());

		assertThat(result.exitCode()).isEqualTo(2);
		assertThat(result.err()).contains("bad.csv:3").contains("unbalanced double quote");
		assertThat(dir.resolve("out.jsonl")).doesNotExist();
	}

	@Test
	void asksForTheKeyOfAProviderThatNeedsOne() {
		Result result = execute(Map.of(), "run", "--provider", "acedata-kimi", "--input",
				CliFixtures.SAMPLE_CSV.toString(), "--output", dir.resolve("out.jsonl").toString());

		assertThat(result.exitCode()).isEqualTo(2);
		assertThat(result.err()).contains("no API key for acedata-kimi: set ACEDATA_API_TOKEN");
	}

	@Test
	void refusesAMalformedDurationAndAnUnknownProvider() {
		Result duration = execute(Map.of(), "run", "--input", "x.csv", "--output", "y.jsonl", "--timeout", "5 minutes");
		Result provider = execute(Map.of(), "run", "--input", "x.csv", "--output", "y.jsonl", "--provider", "nope");

		assertThat(duration.exitCode()).isEqualTo(2);
		assertThat(duration.err()).contains("is not a duration; write e.g. 500ms, 30s, 2m or 1h");
		assertThat(provider.exitCode()).isEqualTo(2);
		assertThat(provider.err()).contains("unknown provider 'nope'");
	}

	@Test
	void skipInvalidRunsTheGoodRecordsAndListsTheRestSoThatRowsPlusRejectsEqualRecords() throws Exception {
		// given: 6 records, 3 of them unusable
		Path input = dir.resolve("mixed.jsonl");
		Files.writeString(input, String.join("\n", "{\"id\":\"a\",\"prompt\":\"one\"}", "{\"id\":\"b\",\"prompt\": oops}",
				"{\"id\":\"c\",\"prompt\":\"three\"}", "{\"id\":\"a\",\"prompt\":\"repeat\"}",
				"{\"id\":\"d\",\"question\":\"no prompt\"}", "{\"id\":\"e\",\"prompt\":\"six\"}") + "\n");
		Path output = dir.resolve("answers.jsonl");
		String[] args = { "run", "--provider", "simulator", "--input", input.toString(), "--output", output.toString(),
				"--state-dir", dir.resolve("state").toString() };

		// when: without --skip-invalid the file is refused
		Result refused = execute(Map.of(), args);

		// then
		assertThat(refused.exitCode()).isEqualTo(2);
		assertThat(refused.err()).contains("mixed.jsonl:2").contains("not valid JSON");

		// when
		String[] skipping = java.util.Arrays.copyOf(args, args.length + 1);
		skipping[args.length] = "--skip-invalid";
		Result result = execute(Map.of(), skipping);

		// then
		assertThat(result.exitCode()).as(result.err()).isZero();
		assertThat(jsonl(output)).extracting(r -> r.get("id").asString()).containsExactly("a", "c", "e");
		List<JsonNode> rejects = jsonl(dir.resolve("answers.jsonl.rejects.jsonl"));
		assertThat(rejects).extracting(r -> r.get("line").asInt()).containsExactly(2, 4, 5);
		assertThat(rejects.get(1).get("reason").asString()).isEqualTo("duplicate id 'a' (first used at line 1)");
		assertThat(jsonl(output).size() + rejects.size()).isEqualTo(6);
		assertThat(result.err()).contains("3 invalid records left out");
	}

	@Test
	void resumeContinuesTheLastFailedRunWithItsOwnSettings() throws Exception {
		// given: a run stopped by an exhausted balance after 100 requests
		Path input = CliFixtures.csv(dir, 250);
		Path output = dir.resolve("answers.jsonl");
		Path state = dir.resolve("state");
		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder()
			.latency(Latency.fixed(Duration.ofMillis(2)))
			.build())) {
			sim.failFrom(101, 403);
			Result failed = execute(Map.of(), "run", "--base-url", sim.baseUrl(), "--model", "kimi-k2.5", "--concurrency",
					"4", "--input", input.toString(), "--output", output.toString(), "--state-dir", state.toString());
			assertThat(failed.exitCode()).as(failed.err()).isEqualTo(1);
			assertThat(failed.err()).contains("403").contains("balance").contains("'promptbatch resume'");
			sim.recover();

			// when
			Result resumed = execute(Map.of(), "resume", "--state-dir", state.toString());

			// then
			assertThat(resumed.exitCode()).as(resumed.err()).isZero();
			assertThat(resumed.err()).contains("completed: 250 rows, 250 ok");
			assertThat(jsonl(output)).extracting(r -> r.get("id").asString()).doesNotHaveDuplicates().hasSize(250);
			assertThat(sim.counters().status(200)).isEqualTo(250);

			// and: nothing is left to resume
			Result nothing = execute(Map.of(), "resume", "--state-dir", state.toString());
			assertThat(nothing.exitCode()).isEqualTo(2);
			assertThat(nothing.err()).contains("there is no failed or stopped run to resume");
			Result unknown = execute(Map.of(), "resume", "--run", "99", "--state-dir", state.toString());
			assertThat(unknown.exitCode()).isEqualTo(2);
			assertThat(unknown.err()).contains("there is no run 99");
		}
	}

	@Test
	void printsPlainProgressLinesWhenStderrIsNotATerminal() throws Exception {
		Result result = execute(Map.of(), "run", "--provider", "simulator", "--concurrency", "2", "--progress-interval",
				"300ms", "--input", CliFixtures.SAMPLE_CSV.toString(), "--output", dir.resolve("a.jsonl").toString(),
				"--state-dir", dir.resolve("state").toString());

		assertThat(result.exitCode()).as(result.err()).isZero();
		assertThat(result.err()).containsPattern("progress: \\d+/24 rows \\(\\d+%\\)  [0-9.]+ rows/s  ETA \\S+  in flight [0-2]  "
				+ "tokens [0-9,]+/[0-9,]+  \\$[0-9.]+  failed 0");
		assertThat(result.err()).doesNotContain("\r");
	}

	@Test
	void quietPrintsNothingButStillWritesTheSummaryFile() throws Exception {
		Result result = execute(Map.of(), "run", "--provider", "simulator", "--quiet", "--input",
				CliFixtures.SAMPLE_CSV.toString(), "--output", dir.resolve("q.jsonl").toString(), "--state-dir",
				dir.resolve("state").toString());

		assertThat(result.exitCode()).isZero();
		assertThat(result.err()).isEmpty();
		assertThat(CliFixtures.JSON.readTree(dir.resolve("q.jsonl.summary.json").toFile()).get("ok").asInt()).isEqualTo(24);
	}
}
