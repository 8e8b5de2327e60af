package io.promptbatch.report;

import static org.assertj.core.api.Assertions.assertThat;

import io.promptbatch.core.stats.LatencyHistogram;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.MatchResult;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class HtmlReportTests {

	static ReportData data(String prompt, String answer) {
		LatencyHistogram latency = new LatencyHistogram();
		latency.add(120);
		latency.add(300);
		ResultRow ok = new ResultRow("a<1>", true, "kimi-k2.5", answer, "thinking <b>", 10, 5, new BigDecimal("0.001"),
				120, 1, null, null, false, 1, "expected <e>");
		ResultRow failed = new ResultRow("b", false, "kimi-k2.5", null, null, 0, 0, null, 300, 7,
				"HTTP 400 bad: <img src=x onerror=alert(1)>", "HTTP 400 bad", false, null, null);
		RunInfo info = new RunInfo(3, "completed", Instant.parse("2026-11-25T10:00:00Z"),
				Instant.parse("2026-11-25T10:01:00Z"), Duration.ofSeconds(60), Path.of("/in.csv"), Path.of("/out.jsonl"),
				"https://api.acedata.cloud/kimi", "kimi-k2.5", false, Map.of("template", "{{q}} & <more>"), false);
		TreeMap<Long, Long> perSecond = new TreeMap<>(Map.of(100L, 3L, 101L, 5L, 103L, 1L));
		return new ReportData(info,
				new ReportData.Totals(2, 1, 1, 0, 10, 5, new BigDecimal("0.001"), 0, 6, 1, 1), latency,
				Map.of("kimi-k2.5", new ReportData.ModelTotals(2, 1, 1, 10, 5, new BigDecimal("0.001"), 1, 1)),
				Map.of("HTTP 400 bad", new ReportData.FailureGroup(1, List.of(new ReportData.Example("b", "HTTP 400 bad: x")))),
				perSecond, List.of(new ReportData.ShownRow(ok, prompt), new ReportData.ShownRow(failed, "")),
				new ReportData.Selection(1, 0, 1, 1, 1, null));
	}

	@Test
	void escapesEveryTextFromTheInputOrTheProvider() {
		String html = HtmlReport.render(data("<script>alert('x')</script>", "a & b <i>c</i>"));

		// in the page's markup: escaped as HTML
		assertThat(html).contains("{{q}} &amp; &lt;more&gt;");
		// in the rows' data: no character that could close the data's script element
		assertThat(html).contains("\\u003cscript\\u003ealert('x')\\u003c/script\\u003e")
			.contains("a \\u0026 b \\u003ci\\u003ec\\u003c/i\\u003e")
			.contains("\\u003cimg src=x onerror=alert(1)\\u003e");
		// the only script elements are the rows' data and the page's own script
		assertThat(Pattern.compile("<script").matcher(html).results().count()).isEqualTo(2);
		assertThat(html).doesNotContain("<img").doesNotContain("<i>");
	}

	@Test
	void theRowsDataReadsBackAsTheTextsTheyHold() {
		String html = HtmlReport.render(data("<script>alert('x')</script>", "a & b <i>c</i>"));
		Matcher m = Pattern.compile("<script type=\"application/json\" id=\"rows\">(.*?)</script>", Pattern.DOTALL)
			.matcher(html);
		assertThat(m.find()).isTrue();

		JsonNode rows = JsonMapper.builder().build().readTree(m.group(1));

		assertThat(rows).hasSize(2);
		assertThat(rows.get(0).get(0).asString()).isEqualTo("a<1>");
		assertThat(rows.get(0).get(3).asString()).isEqualTo("<script>alert('x')</script>");
		assertThat(rows.get(0).get(4).asString()).isEqualTo("a & b <i>c</i>");
		assertThat(rows.get(0).get(5).asString()).isEqualTo("thinking <b>");
		assertThat(rows.get(0).get(6).asString()).isEqualTo("expected <e>");
		assertThat(rows.get(0).get(10).asInt()).isEqualTo(1);
		assertThat(rows.get(1).get(1).asString()).isEqualTo("failed");
		assertThat(rows.get(1).get(4).asString()).isEqualTo("HTTP 400 bad: <img src=x onerror=alert(1)>");
		assertThat(rows.get(1).get(10).isNull()).isTrue();
	}

	@Test
	void isSelfContainedAndForbidsNetworkRequests() {
		String html = HtmlReport.render(data("p", "a"));

		assertThat(html).contains("Content-Security-Policy").contains("default-src 'none'");
		assertThat(Pattern.compile("(?i)(src|href)\\s*=\\s*[\"']?(https?:)?//").matcher(html).find()).isFalse();
		assertThat(html).doesNotContain("<link").doesNotContain("@import");
		// the charts' clip paths refer to their own definitions (url(#...)), nothing else
		assertThat(Pattern.compile("url\\((?!#)").matcher(html).find()).isFalse();
	}

	@Test
	void hasEverySectionWithChartsDrawnAsSvg() {
		String html = HtmlReport.render(data("p", "a"));

		for (String id : List.of("totals", "charts", "models", "failures", "answers")) {
			assertThat(html).contains("<section id=\"" + id + "\"");
		}
		assertThat(Pattern.compile("<svg").matcher(html).results().count()).isEqualTo(4);
		assertThat(html).contains("Latency of the rows sent").contains("Answers per second")
			.contains("Cost per model (USD)").contains("Tokens per model");
		assertThat(html).contains("p50 ").contains("p99 ");
		assertThat(html).contains("data-total=\"cost\"").contains("$0.0010").contains("100.0% (1/1)");
	}

	@Test
	void aRunWithFailedRowsIsBadgedAsAWarningNotAsASuccess() {
		String html = HtmlReport.render(data("p", "a"));

		assertThat(html).contains("<span class=\"status status-warning\" id=\"status\">completed with 1 failed row</span>")
			.doesNotContain("status-completed\"");
	}

	@Test
	void aRunAnsweredByTheSimulatorSaysSoInItsHeader() {
		ReportData real = data("p", "a");
		RunInfo i = real.info();
		ReportData simulated = new ReportData(new RunInfo(i.runId(), i.status(), i.started(), i.ended(), i.wall(),
				i.input(), i.output(), "simulator://in-process", i.model(), false, i.settings(), true), real.totals(),
				real.latency(), real.models(), real.failures(), real.answersPerSecond(), real.rows(), real.selection());

		String html = HtmlReport.render(simulated);

		String header = html.substring(html.indexOf("<header>"), html.indexOf("</header>"));
		assertThat(header).contains("id=\"simulated\">simulator: fake answers</span>")
			.contains("the answers are fake and nothing was paid");
		assertThat(HtmlReport.render(real)).doesNotContain("id=\"simulated").doesNotContain("fake");
	}

	@Test
	void aZeroPassRateAndRowsScoredZeroAreMarked() {
		// given: one model whose only scored row scored 0
		ReportData d = data("p", "a");
		ResultRow zero = new ResultRow("z", true, "kimi-k2.5", "no", null, 10, 5, new BigDecimal("0.001"), 120, 1, null,
				null, false, 0, "yes");
		ReportData scoredZero = new ReportData(d.info(),
				new ReportData.Totals(1, 1, 0, 0, 10, 5, new BigDecimal("0.001"), 0, 0, 1, 0), d.latency(),
				Map.of("kimi-k2.5", new ReportData.ModelTotals(1, 1, 0, 10, 5, new BigDecimal("0.001"), 1, 0)), Map.of(),
				d.answersPerSecond(), List.of(new ReportData.ShownRow(zero, "p")), new ReportData.Selection(0, 1, 0, 0, 1, null));

		String html = HtmlReport.render(scoredZero);

		assertThat(html).contains("<div class=\"tile bad\" data-total=\"pass rate\"><div class=\"value\">0.0% (0/1)");
		assertThat(html).contains("<td class=\"bad\">0.0% (0/1)</td>");
		// the table's script gives a score of 0 its own class, which the style colours
		assertThat(html).contains("r[10] === 0 ? 'score-zero' : null").containsPattern("td\\.score-zero\\{background:#fee2e2");
		// a pass rate above 0 is not marked
		assertThat(HtmlReport.render(d)).doesNotContain("tile bad").doesNotContain("<td class=\"bad\">");
	}

	@Test
	void chartsScaleToTheWidthOfTheContent() {
		String html = HtmlReport.render(data("p", "a"));

		// every chart has a view box and no fixed size, in a grid whose columns share the full width
		List<String> svgs = Pattern.compile("<svg[^>]*>").matcher(html).results().map(MatchResult::group).toList();
		assertThat(svgs).hasSize(4).allSatisfy(svg -> assertThat(svg).contains("viewBox='0.0 0.0 " + Charts.WIDTH + ".0 "
				+ Charts.HEIGHT + ".0'").doesNotContain(" width=").doesNotContain(" height="));
		assertThat(html).contains(".charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr))")
			.contains("figure svg{display:block;width:100%;height:auto}");
	}
}
