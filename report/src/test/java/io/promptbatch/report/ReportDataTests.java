package io.promptbatch.report;

import static org.assertj.core.api.Assertions.assertThat;

import io.promptbatch.core.prompt.PromptOptions;
import io.promptbatch.core.prompt.PromptReader;
import java.io.Writer;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

class ReportDataTests {

	static final JsonMapper JSON = JsonMapper.builder().build();

	@TempDir
	Path dir;

	static RunInfo info(Path input, Path output) {
		return new RunInfo(7, "completed", null, null, Duration.ofSeconds(12), input, output, "http://127.0.0.1:1/v1",
				"kimi-k2.5", false, Map.of("concurrency", "16"), false);
	}

	/**
	 * {@code n} rows: every 100th failed (every third of those with a 400, the others a timeout), every 10th scored 0 (others 1),
	 * every 50th cached, models alternating; the input holds the same ids with their prompts.
	 */
	Path[] files(int n) throws Exception {
		Path input = dir.resolve("in.csv");
		Path output = dir.resolve("out.jsonl");
		try (Writer in = Files.newBufferedWriter(input, StandardCharsets.UTF_8);
				Writer out = Files.newBufferedWriter(output, StandardCharsets.UTF_8)) {
			in.write("id,prompt\n");
			for (int i = 1; i <= n; i++) {
				in.write("r" + i + ",Prompt number " + i + "\n");
				ObjectNode row = JSON.createObjectNode();
				boolean failed = i % 100 == 0;
				boolean cached = !failed && i % 50 == 0;
				row.put("id", "r" + i);
				row.put("status", failed ? "failed" : "ok");
				row.put("model", i % 2 == 0 ? "kimi-k2.5" : "kimi-k2-thinking");
				if (failed) {
					row.putNull("answer");
					row.put("error", i % 300 == 0 ? "HTTP 400 invalid_request: bad row " + i + " (request t" + i + ")"
							: "timeout: no answer within 120 s");
					row.putNull("cost_usd");
				}
				else {
					row.put("answer", "Answer " + i);
					row.put("prompt_tokens", 10);
					row.put("completion_tokens", 5);
					row.put("cost_usd", cached ? BigDecimal.ZERO : new BigDecimal("0.001"));
					row.putNull("error");
				}
				row.put("latency_ms", cached ? 0 : i);
				row.put("attempts", cached ? 0 : failed ? 7 : 1);
				row.put("cached", cached);
				if (!failed) {
					row.put("score", i % 10 == 0 ? 0 : 1);
				}
				else {
					row.putNull("score");
				}
				out.write(JSON.writeValueAsString(row) + "\n");
			}
		}
		return new Path[] { input, output };
	}

	@Test
	void sumsEveryRowAndGroupsFailuresByKindWithAFewExamples() throws Exception {
		Path[] f = files(3000);

		ReportData data = ReportData.of(info(f[0], f[1]), () -> OutputRows.open(f[1], false), null, new TreeMap<>());

		ReportData.Totals t = data.totals();
		assertThat(t.rows()).isEqualTo(3000);
		assertThat(t.failed()).isEqualTo(30);
		assertThat(t.ok()).isEqualTo(2970);
		assertThat(t.cached()).isEqualTo(30); // multiples of 50 that are not multiples of 100
		long sent = 2970 - 30;
		assertThat(t.promptTokens()).isEqualTo(sent * 10);
		assertThat(t.costUsd()).isEqualByComparingTo(new BigDecimal("0.001").multiply(BigDecimal.valueOf(sent)));
		assertThat(t.retries()).isEqualTo(30 * 6);
		assertThat(t.scored()).isEqualTo(2970);
		assertThat(t.passed()).isEqualTo(2970 - (300 - 30));
		// cached rows were not sent: they have no latency
		assertThat(data.latency().count()).isEqualTo(3000 - 30);

		assertThat(data.models()).containsOnlyKeys("kimi-k2.5", "kimi-k2-thinking");
		assertThat(data.models().get("kimi-k2-thinking").failed()).isZero();
		assertThat(data.models().get("kimi-k2.5").failed()).isEqualTo(30);

		// most frequent first
		assertThat(data.failures().keySet()).containsExactly("timeout", "HTTP 400 invalid_request");
		assertThat(data.failures().get("timeout").count()).isEqualTo(20);
		ReportData.FailureGroup http = data.failures().get("HTTP 400 invalid_request");
		assertThat(http.count()).isEqualTo(10);
		assertThat(http.examples()).hasSize(ReportData.EXAMPLES_PER_FAILURE);
		assertThat(http.examples()).extracting(ReportData.Example::id).containsExactly("r300", "r600", "r900");
		assertThat(http.examples().get(0).error()).isEqualTo("HTTP 400 invalid_request: bad row 300 (request t300)");
	}

	@Test
	void showsAllFailuresAndZeroScoresAndAnEvenSampleOfTheRestWithTheirPrompts() throws Exception {
		Path[] f = files(12_000);

		ReportData data = ReportData.of(info(f[0], f[1]), () -> OutputRows.open(f[1], false),
				() -> PromptReader.open(f[0], PromptOptions.DEFAULTS), new TreeMap<>());

		ReportData.Selection s = data.selection();
		assertThat(s.failedShown()).isEqualTo(120);
		assertThat(s.zeroScoreShown()).isEqualTo(1200 - 120);
		long others = 12_000 - 120 - (1200 - 120);
		assertThat(s.othersTotal()).isEqualTo(others);
		assertThat(s.stride()).isEqualTo((others + 999) / 1000);
		assertThat(s.othersShown()).isLessThanOrEqualTo(ReportData.MAX_OTHER_ROWS).isGreaterThan(900);
		assertThat(data.rows()).hasSize((int) s.shown());
		assertThat(s.promptsNote()).isNull();
		assertThat(data.rows()).allSatisfy(r -> assertThat(r.prompt()).isEqualTo("Prompt number " + r.row().id().substring(1)));
		assertThat(data.rows()).filteredOn(r -> !r.row().ok()).hasSize(120);
	}

	@Test
	void saysSoWhenTheInputNoLongerMatchesTheOutput() throws Exception {
		Path[] f = files(10);
		Files.writeString(f[0], "id,prompt\nr1,Prompt number 1\nx2,Something else\n");

		ReportData data = ReportData.of(info(f[0], f[1]), () -> OutputRows.open(f[1], false),
				() -> PromptReader.open(f[0], PromptOptions.DEFAULTS), new TreeMap<>());

		assertThat(data.rows().get(0).prompt()).isEqualTo("Prompt number 1");
		assertThat(data.rows().get(1).prompt()).isEmpty();
		assertThat(data.selection().promptsNote()).contains("no longer matches the output from row r2");
	}

	@Test
	void cutsLongTextsAndSaysHowLongTheyWere() {
		String text = "x".repeat(ReportData.MAX_TEXT + 500);

		assertThat(ReportData.cut(text)).hasSize(ReportData.MAX_TEXT + " [... cut here: 2500 characters in all]".length())
			.endsWith("[... cut here: 2500 characters in all]");
		assertThat(ReportData.cut("short")).isEqualTo("short");
	}

	@Test
	void aRunThatCompletedWithFailedRowsIsNotBadgedAsAPlainSuccess() throws Exception {
		// given: 250 rows of which r100 and r200 failed (the run's exit code was 3)
		Path[] f = files(250);

		ReportData data = ReportData.of(info(f[0], f[1]), () -> OutputRows.open(f[1], false), null, new TreeMap<>());

		assertThat(data.statusBadge()).isEqualTo(new ReportData.StatusBadge("completed with 2 failed rows", "warning"));
	}

	@Test
	void aRunWhoseRowsAllSucceededIsBadgedCompleted() throws Exception {
		Path[] f = files(99);

		ReportData data = ReportData.of(info(f[0], f[1]), () -> OutputRows.open(f[1], false), null, new TreeMap<>());

		assertThat(data.statusBadge()).isEqualTo(new ReportData.StatusBadge("completed", "completed"));
	}

	@Test
	void aFailedRunKeepsItsOwnBadgeWhateverItsRows() throws Exception {
		Path[] f = files(250);
		RunInfo failed = new RunInfo(7, "failed", null, null, Duration.ofSeconds(12), f[0], f[1], "http://127.0.0.1:1/v1",
				"kimi-k2.5", false, Map.of(), false);

		ReportData data = ReportData.of(failed, () -> OutputRows.open(f[1], false), null, new TreeMap<>());

		assertThat(data.statusBadge()).isEqualTo(new ReportData.StatusBadge("failed", "failed"));
	}

	@Test
	void rowsOfSeveralChoicesGivePassAtOneAndPassAtNPerModel() throws Exception {
		// given: three rows of three choices: the first passes on its first choice, the second only on its third,
		// the third on none; as JSONL (choices a JSON array) and as CSV (the same array as JSON text)
		String[][] scores = { { "1", "0", "0" }, { "0", "0", "1" }, { "0", "0", "0" } };
		Path jsonl = dir.resolve("n3.jsonl");
		Path csv = dir.resolve("n3.csv");
		StringBuilder lines = new StringBuilder();
		StringBuilder csvText = new StringBuilder("id,status,model,answer,score,choices\n");
		for (int i = 0; i < scores.length; i++) {
			ObjectNode row = JSON.createObjectNode();
			row.put("id", "r" + i).put("status", "ok").put("model", "kimi-k2.5").put("answer", "a" + i);
			row.put("score", Integer.parseInt(scores[i][0]));
			var choices = row.putArray("choices");
			for (int c = 0; c < 3; c++) {
				choices.addObject().put("index", c).put("answer", "a" + i + c).put("score", Integer.parseInt(scores[i][c]));
			}
			lines.append(JSON.writeValueAsString(row)).append('\n');
			csvText.append("r").append(i).append(",ok,kimi-k2.5,a").append(i).append(',').append(scores[i][0]).append(",\"")
				.append(JSON.writeValueAsString(choices).replace("\"", "\"\"")).append("\"\n");
		}
		Files.writeString(jsonl, lines);
		Files.writeString(csv, csvText);

		for (Path output : new Path[] { jsonl, csv }) {
			// when
			ReportData data = ReportData.of(info(dir.resolve("in.csv"), output), () -> OutputRows.open(output, false),
					null, new TreeMap<>());

			// then
			assertThat(data.totals().passed()).as(output.toString()).isEqualTo(1);
			assertThat(data.totals().passedAny()).as(output.toString()).isEqualTo(2);
			assertThat(data.totals().mostChoices()).isEqualTo(3);
			assertThat(data.models().get("kimi-k2.5").passedAny()).isEqualTo(2);
			assertThat(HtmlReport.passRates(3, 1, 2, 3)).isEqualTo("pass@1 33.3% (1/3), pass@3 66.7% (2/3)");
			assertThat(HtmlReport.render(data)).contains("pass@1 33.3% (1/3), pass@3 66.7% (2/3)");
		}
	}
}
