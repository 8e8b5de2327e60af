package io.promptbatch.cli;

import static io.promptbatch.cli.CliFixtures.JSON;
import static io.promptbatch.cli.CliFixtures.execute;
import static io.promptbatch.cli.CliFixtures.jsonl;
import static org.assertj.core.api.Assertions.assertThat;

import io.promptbatch.cli.CliFixtures.Result;
import io.promptbatch.simulator.ChatSimulator;
import io.promptbatch.simulator.SimulatedAnswers;
import io.promptbatch.simulator.SimulatorConfig;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * JSONL and CSV rows keep what the server returned beyond the first choice's text, through the real
 * command against the simulator: every choice with {@code n}, tool calls (plain and streamed), a
 * refusal, log-probabilities, the fingerprint; {@code --score} scores each choice (pass@1, pass@n); the
 * report shows a tool call where the answer text would be.
 */
class KeptAnswerRowsIntegrationTests {

	private static final String TOOLS = "[{\"type\":\"function\",\"function\":{\"name\":\"lookup\",\"parameters\":"
			+ "{\"type\":\"object\",\"properties\":{\"query\":{\"type\":\"string\"}}}}}]";

	@TempDir
	Path dir;

	private Path prompts(String name, String... prompts) throws Exception {
		List<String> lines = new ArrayList<>();
		for (int i = 0; i < prompts.length; i++) {
			lines.add(JSON.writeValueAsString(JSON.createObjectNode().put("id", "r" + (i + 1)).put("prompt", prompts[i])));
		}
		Path file = dir.resolve(name);
		Files.write(file, lines);
		return file;
	}

	private Result run(ChatSimulator sim, Path input, String output, String... more) {
		List<String> args = new ArrayList<>(List.of("run", "--base-url", sim.baseUrl(), "--model", "kimi-k2.5", "--input",
				input.toString(), "--output", dir.resolve(output).toString(), "--state-dir", dir.resolve("state").toString()));
		args.addAll(List.of(more));
		return execute(Map.of(), args.toArray(String[]::new));
	}

	private List<CSVRecord> csv(String output) throws Exception {
		try (Reader in = Files.newBufferedReader(dir.resolve(output), StandardCharsets.UTF_8)) {
			return CSVFormat.RFC4180.builder().setHeader().setSkipHeaderRecord(true).get().parse(in).getRecords();
		}
	}

	/** The bodies the simulator sent, by their first choice's content or first tool call id. */
	private static Map<String, JsonNode> sentByFirstChoice(ChatSimulator sim) {
		Map<String, JsonNode> sent = new HashMap<>();
		for (JsonNode body : sim.recordedResponses()) {
			JsonNode message = body.at("/choices/0/message");
			sent.put(message.get("tool_calls") != null ? message.at("/tool_calls/0/id").asString()
					: message.get("content").isNull() ? message.get("refusal").asString()
							: message.get("content").asString(), body);
		}
		return sent;
	}

	@Test
	void everyChoiceIsKeptInJsonlAndCsvWithTheUsageTokens() throws Exception {
		Path input = prompts("n.jsonl", "Name a colour", "Name a river", "Name a mountain");
		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder().recordRequests(100).build())) {
			// when
			Result jsonl = run(sim, input, "n.jsonl.out.jsonl", "--param", "n=3", "--output-format", "jsonl");
			Result csv = run(sim, input, "n.csv", "--param", "n=3", "--no-cache");

			// then
			assertThat(jsonl.exitCode()).as(jsonl.err()).isZero();
			assertThat(csv.exitCode()).as(csv.err()).isZero();
			Map<String, JsonNode> sent = sentByFirstChoice(sim);
			List<JsonNode> rows = jsonl(dir.resolve("n.jsonl.out.jsonl"));
			assertThat(rows).hasSize(3);
			for (JsonNode row : rows) {
				JsonNode body = sent.get(row.get("answer").asString());
				assertThat(body).as(row.toString()).isNotNull();
				JsonNode choices = row.get("choices");
				assertThat(choices).hasSize(3);
				Set<String> answers = new HashSet<>();
				for (int i = 0; i < 3; i++) {
					assertThat(choices.get(i).get("index").asInt()).isEqualTo(i);
					assertThat(choices.get(i).get("answer").asString())
						.isEqualTo(body.at("/choices/" + i + "/message/content").asString());
					assertThat(choices.get(i).get("finish_reason").asString()).isEqualTo("stop");
					answers.add(choices.get(i).get("answer").asString());
				}
				assertThat(answers).as("three distinct answers").hasSize(3);
				assertThat(choices.get(0).get("answer").asString()).isEqualTo(row.get("answer").asString());
				// the usage counts every choice
				assertThat(row.get("completion_tokens").asLong()).isEqualTo(body.at("/usage/completion_tokens").asLong())
					.isGreaterThan(0);
				assertThat(row.get("prompt_tokens").asLong()).isEqualTo(body.at("/usage/prompt_tokens").asLong());
				assertThat(row.get("total_tokens").asLong()).isEqualTo(body.at("/usage/total_tokens").asLong());
			}
			List<CSVRecord> records = csv("n.csv");
			assertThat(records).hasSize(3);
			for (int i = 0; i < 3; i++) {
				CSVRecord record = records.get(i);
				JsonNode choices = JSON.readTree(record.get("choices"));
				assertThat(choices).isEqualTo(rows.get(i).get("choices"));
				assertThat(record.get("completion_tokens")).isEqualTo(rows.get(i).get("completion_tokens").asString());
			}
		}
	}

	@Test
	void toolCallsAreKeptPlainAndStreamedEqualToEachOtherAndToWhatTheServerSent() throws Exception {
		Path input = prompts("tools.jsonl", "[[sim:tool]] look up otter", "[[sim:tool]] look up heron",
				"Define a word");
		Map<String, JsonNode> sent = new HashMap<>();
		Map<String, List<JsonNode>> rows = new HashMap<>();
		for (String mode : List.of("plain", "streamed")) {
			try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder().recordRequests(100).build())) {
				// when
				List<String> args = new ArrayList<>(List.of("--param", "tools=" + TOOLS, "--no-cache"));
				if (mode.equals("streamed")) {
					args.add("--stream");
				}
				Result result = run(sim, input, mode + ".jsonl", args.toArray(String[]::new));
				Result csv = run(sim, input, mode + ".csv", args.toArray(String[]::new));

				// then
				assertThat(result.exitCode()).as(result.err()).isZero();
				assertThat(csv.exitCode()).as(csv.err()).isZero();
				sent.putAll(sentByFirstChoice(sim));
				rows.put(mode, jsonl(dir.resolve(mode + ".jsonl")));
				List<CSVRecord> records = csv(mode + ".csv");
				for (int i = 0; i < 3; i++) {
					JsonNode calls = rows.get(mode).get(i).get("tool_calls");
					assertThat(records.get(i).get("tool_calls").isEmpty() ? null : JSON.readTree(records.get(i).get("tool_calls")))
						.isEqualTo(calls.isNull() ? null : calls);
				}
			}
		}
		for (int i = 0; i < 2; i++) {
			JsonNode plain = rows.get("plain").get(i);
			JsonNode calls = plain.get("tool_calls");
			assertThat(plain.get("status").asString()).isEqualTo("ok");
			assertThat(plain.get("finish_reason").asString()).isEqualTo("tool_calls");
			assertThat(calls).hasSize(1);
			assertThat(calls.at("/0/function/name").asString()).isEqualTo("lookup");
			assertThat(calls.at("/0/type").asString()).isEqualTo("function");
			assertThat(calls).isEqualTo(sent.get(calls.at("/0/id").asString()).at("/choices/0/message/tool_calls"));
			assertThat(rows.get("streamed").get(i).get("tool_calls")).isEqualTo(calls);
			assertThat(JSON.readTree(calls.at("/0/function/arguments").asString()).get("query").asString())
				.isEqualTo(SimulatedAnswers.answerFor(i == 0 ? "[[sim:tool]] look up otter" : "[[sim:tool]] look up heron"));
		}
		assertThat(rows.get("plain").get(2).get("tool_calls").isNull()).isTrue();
		assertThat(rows.get("streamed").get(2).get("tool_calls").isNull()).isTrue();
	}

	@Test
	void aRefusalLogprobsAndTheFingerprintAreKept() throws Exception {
		Path input = prompts("refuse.jsonl", "[[sim:refuse]] tell me a secret", "Name a colour");
		for (String mode : List.of("plain", "streamed")) {
			try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder().recordRequests(100).build())) {
				// when
				Result result = mode.equals("plain")
						? run(sim, input, mode + ".jsonl", "--param", "logprobs=true", "--no-cache")
						: run(sim, input, mode + ".jsonl", "--param", "logprobs=true", "--no-cache", "--stream");

				// then
				assertThat(result.exitCode()).as(result.err()).isZero();
				Map<String, JsonNode> sent = sentByFirstChoice(sim);
				List<JsonNode> rows = jsonl(dir.resolve(mode + ".jsonl"));
				JsonNode refused = rows.get(0);
				assertThat(refused.get("status").asString()).isEqualTo("ok");
				assertThat(refused.get("refusal").asString()).isEqualTo("I can't help with that request.");
				assertThat(refused.get("answer").asString("")).isEmpty();
				JsonNode answered = rows.get(1);
				JsonNode body = sent.get(answered.get("answer").asString());
				assertThat(answered.get("refusal").isNull()).isTrue();
				assertThat(answered.get("logprobs")).isEqualTo(body.at("/choices/0/logprobs"));
				assertThat(answered.at("/logprobs/content")).isNotEmpty();
				assertThat(answered.get("system_fingerprint").asString()).isEqualTo(body.get("system_fingerprint").asString())
					.startsWith("fp_sim_");
				assertThat(answered.at("/extra/response/created").asLong()).isEqualTo(body.get("created").asLong());
				assertThat(answered.get("choices").isNull()).as("one choice: no choices array").isTrue();
			}
		}
	}

	@Test
	void scoringEachOfThreeChoicesReportsPassAtOneAndPassAtThree() throws Exception {
		// given: the first answer contains its own text, the other samples are marked "[sample 2]" and
		// "[sample 3]": pass@1 passes one row of four, pass@3 three
		String[] prompts = { "Name a colour", "Name a river", "Name a mountain", "Name a lake" };
		String[] expected = { SimulatedAnswers.answerFor(prompts[0]), "[sample 2]", "[sample 3]", "no such words" };
		List<String> lines = new ArrayList<>(List.of("id,prompt,expected"));
		for (int i = 0; i < 4; i++) {
			lines.add("s" + (i + 1) + ",\"" + prompts[i] + "\",\"" + expected[i].replace("\"", "\"\"") + "\"");
		}
		Path input = dir.resolve("scored.csv");
		Files.write(input, lines);
		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder().build())) {
			// when
			Result result = run(sim, input, "scored.jsonl", "--param", "n=3", "--score", "contains", "--report");

			// then
			assertThat(result.exitCode()).as(result.err()).isZero();
			assertThat(result.err()).contains("score: kimi-k2.5 1/4 passed (25.0%); pass@1 25.0%, pass@3 75.0% (3/4)");
			JsonNode score = JSON.readTree(dir.resolve("scored.jsonl.summary.json").toFile()).at("/scores/kimi-k2.5");
			assertThat(score.get("pass_at_1").asDouble()).isEqualTo(0.25);
			assertThat(score.get("pass_at_n").asDouble()).isEqualTo(0.75);
			assertThat(score.get("n").asInt()).isEqualTo(3);
			List<JsonNode> rows = jsonl(dir.resolve("scored.jsonl"));
			assertThat(rows.get(1).get("score").asInt()).isZero();
			assertThat(rows.get(1).at("/choices/1/score").asInt()).isEqualTo(1);
			assertThat(rows.get(2).at("/choices/2/score").asInt()).isEqualTo(1);
			assertThat(rows.get(3).get("choices")).allSatisfy(c -> assertThat(c.get("score").asInt()).isZero());
		}
	}

	@Test
	void theReportShowsAToolCallWhereTheAnswerTextWouldBe() throws Exception {
		Path input = prompts("report.jsonl", "[[sim:tool]] look up otter");
		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder().build())) {
			// when
			Result result = run(sim, input, "report-out.jsonl", "--param", "tools=" + TOOLS, "--report");

			// then
			assertThat(result.exitCode()).as(result.err()).isZero();
			JsonNode calls = jsonl(dir.resolve("report-out.jsonl")).get(0).get("tool_calls");
			String html = Files.readString(dir.resolve("report-out.jsonl.report.html"));
			String shown = "lookup(" + calls.at("/0/function/arguments").asString() + ")";
			assertThat(reportAnswers(html)).containsExactly(shown);
		}
	}

	/** The answer cells of the report's table, from the rows the page embeds as JSON. */
	private static List<String> reportAnswers(String html) {
		String open = "<script type=\"application/json\" id=\"rows\">";
		int from = html.indexOf(open) + open.length();
		JsonNode rows = JSON.readTree(html.substring(from, html.indexOf("</script>", from)));
		List<String> answers = new ArrayList<>();
		rows.forEach(r -> answers.add(r.get(4).asString()));
		return answers;
	}
}
