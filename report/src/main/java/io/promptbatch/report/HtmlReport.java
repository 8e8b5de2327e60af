package io.promptbatch.report;

import io.promptbatch.core.stats.LatencyHistogram;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;

/**
 * A run's page: one self-contained HTML file (styles, charts and script inline) that makes no network
 * request of any kind, which its Content-Security-Policy also forbids. Every text from the input or the
 * provider is escaped.
 *
 * <p>It is one piece, just over 350 lines, because it is the page itself: each method writes one section
 * of the one document in order, and the inline script that draws the answer table reads the markup those
 * methods write; the data behind it is {@link ReportData}, the charts {@link Charts}.
 */
public final class HtmlReport {

	private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'", Locale.ROOT)
		.withZone(ZoneOffset.UTC);

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private HtmlReport() {
	}

	/** Writes the page next to nothing else: to a temporary file, then moved into place. */
	public static Path write(ReportData data, Path to) throws IOException {
		Path tmp = to.resolveSibling(to.getFileName() + ".tmp");
		Files.writeString(tmp, render(data), StandardCharsets.UTF_8);
		return Files.move(tmp, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
	}

	/** The page's HTML. */
	public static String render(ReportData data) {
		StringBuilder h = new StringBuilder(64 * 1024 + data.rows().size() * 512);
		RunInfo info = data.info();
		h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n")
			.append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; ")
			.append("style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n")
			.append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
			.append("<title>promptbatch run ").append(info.runId()).append(": ").append(esc(data.statusBadge().text()))
			.append("</title>\n<style>").append(STYLE).append("</style></head>\n<body>\n");
		header(h, data);
		totals(h, data);
		charts(h, data);
		models(h, data);
		failures(h, data);
		answers(h, data);
		h.append("<script>").append(SCRIPT).append("</script>\n</body></html>\n");
		return h.toString();
	}

	private static void header(StringBuilder h, ReportData data) {
		RunInfo info = data.info();
		ReportData.StatusBadge badge = data.statusBadge();
		h.append("<header><h1>promptbatch run ").append(info.runId()).append(" <span class=\"status status-")
			.append(esc(badge.tone())).append("\" id=\"status\">").append(esc(badge.text())).append("</span>");
		if (info.simulated()) {
			h.append(" <span class=\"status status-simulated\" id=\"simulated\">simulator: fake answers</span>");
		}
		h.append("</h1>\n");
		if (info.simulated()) {
			h.append("<p class=\"banner\" id=\"simulated-note\">Every answer of this run came from promptbatch's built-in ")
				.append("simulator, not from a model: the answers are fake and nothing was paid. Costs are what the ")
				.append("price table would charge for the same tokens. Name --provider (or set the provider's key) to ")
				.append("run against a real model.</p>\n");
		}
		h.append("<dl class=\"facts\">");
		fact(h, "input", info.input().toString());
		fact(h, "output", info.output().toString());
		fact(h, "endpoint", info.endpoint());
		fact(h, "model", info.model());
		fact(h, "started", info.started() == null ? "" : TIME.format(info.started()));
		fact(h, "ended", info.ended() == null ? "still running" : TIME.format(info.ended()));
		info.settings().forEach((k, v) -> fact(h, k, v));
		h.append("</dl></header>\n");
	}

	private static void fact(StringBuilder h, String name, String value) {
		h.append("<dt>").append(esc(name)).append("</dt><dd>").append(esc(value)).append("</dd>");
	}

	private static void totals(StringBuilder h, ReportData data) {
		ReportData.Totals t = data.totals();
		LatencyHistogram l = data.latency();
		h.append("<section id=\"totals\"><h2>Totals</h2><div class=\"tiles\">");
		tile(h, "rows", String.format(Locale.ROOT, "%,d", t.rows()));
		tile(h, "ok", String.format(Locale.ROOT, "%,d", t.ok()));
		tile(h, "failed", String.format(Locale.ROOT, "%,d", t.failed()));
		tile(h, "cached", String.format(Locale.ROOT, "%,d", t.cached()));
		tile(h, "tokens in", String.format(Locale.ROOT, "%,d", t.promptTokens()));
		tile(h, "tokens out", String.format(Locale.ROOT, "%,d", t.completionTokens()));
		tile(h, "cost", "$" + t.costUsd().setScale(4, RoundingMode.HALF_UP).toPlainString()
				+ (t.unpricedRows() > 0 ? " + " + t.unpricedRows() + " rows without a price" : ""));
		tile(h, "wall time", String.format(Locale.ROOT, "%.1f s", data.info().wall().toMillis() / 1000.0));
		tile(h, "retries", String.format(Locale.ROOT, "%,d", t.retries()));
		tile(h, "latency p50 / p95 / p99", l.percentile(50) + " / " + l.percentile(95) + " / " + l.percentile(99) + " ms");
		if (t.scored() > 0) {
			tile(h, t.mostChoices() > 1 ? "pass@1 · pass@" + t.mostChoices() : "pass rate",
					passRates(t.scored(), t.passed(), t.passedAny(), t.mostChoices()), t.passed() == 0 ? "bad" : null);
		}
		h.append("</div></section>\n");
	}

	private static void tile(StringBuilder h, String name, String value) {
		tile(h, name, value, null);
	}

	/** @param mark a class that marks the tile ({@code bad}), or null */
	private static void tile(StringBuilder h, String name, String value, @Nullable String mark) {
		h.append("<div class=\"tile").append(mark == null ? "" : " " + mark).append("\" data-total=\"")
			.append(esc(name)).append("\"><div class=\"value\">")
			.append(esc(value)).append("</div><div class=\"name\">").append(esc(name)).append("</div></div>");
	}

	private static void charts(StringBuilder h, ReportData data) {
		h.append("<section id=\"charts\"><h2>Charts</h2><div class=\"charts\">");
		h.append("<figure>").append(Charts.latency(data.latency())).append("</figure>");
		h.append("<figure>").append(Charts.answersPerSecond(data.answersPerSecond())).append("</figure>");
		h.append("<figure>").append(Charts.costPerModel(data.models())).append("</figure>");
		h.append("<figure>").append(Charts.tokensPerModel(data.models())).append("</figure>");
		h.append("</div></section>\n");
	}

	/** "66.7% (2/3)", or with several choices per row "pass@1 33.3% (1/3), pass@3 66.7% (2/3)". */
	static String passRates(long scored, long passed, long passedAny, int choices) {
		String first = percent(passed, scored) + " (" + passed + "/" + scored + ")";
		return choices <= 1 ? first
				: "pass@1 " + first + ", pass@" + choices + " " + percent(passedAny, scored) + " (" + passedAny + "/" + scored
						+ ")";
	}

	private static void models(StringBuilder h, ReportData data) {
		h.append("<section id=\"models\"><h2>Per model</h2><table><thead><tr><th>model</th><th>rows</th><th>ok</th>")
			.append("<th>failed</th><th>tokens in</th><th>tokens out</th><th>cost (USD)</th><th>pass rate</th></tr>")
			.append("</thead><tbody>");
		data.models().forEach((model, t) -> h.append("<tr><td>").append(esc(model)).append("</td><td>").append(t.rows())
			.append("</td><td>").append(t.ok()).append("</td><td>").append(t.failed()).append("</td><td>")
			.append(t.promptTokens()).append("</td><td>").append(t.completionTokens()).append("</td><td>")
			.append(t.costUsd().setScale(6, RoundingMode.HALF_UP).toPlainString())
			.append(t.scored() > 0 && t.passed() == 0 ? "</td><td class=\"bad\">" : "</td><td>")
			.append(t.scored() == 0 ? "" : esc(passRates(t.scored(), t.passed(), t.passedAny(), t.mostChoices())))
			.append("</td></tr>"));
		h.append("</tbody></table></section>\n");
	}

	private static void failures(StringBuilder h, ReportData data) {
		h.append("<section id=\"failures\"><h2>Failures</h2>");
		if (data.failures().isEmpty()) {
			h.append("<p>No row failed.</p></section>\n");
			return;
		}
		for (Map.Entry<String, ReportData.FailureGroup> g : data.failures().entrySet()) {
			h.append("<div class=\"failure-group\"><h3>").append(esc(g.getKey())).append(" <span class=\"count\">")
				.append(g.getValue().count()).append(g.getValue().count() == 1 ? " row" : " rows")
				.append("</span></h3><ul>");
			for (ReportData.Example e : g.getValue().examples()) {
				h.append("<li><code>").append(esc(e.id())).append("</code> ").append(esc(e.error())).append("</li>");
			}
			h.append("</ul></div>");
		}
		h.append("</section>\n");
	}

	private static void answers(StringBuilder h, ReportData data) {
		ReportData.Selection s = data.selection();
		boolean scored = data.totals().scored() > 0;
		h.append("<section id=\"answers\"><h2>Answers</h2><p class=\"note\" id=\"selection\">");
		if (s.shown() == data.totals().rows()) {
			h.append("All ").append(s.shown()).append(" rows.");
		}
		else {
			h.append("Showing ").append(s.shown()).append(" of ").append(data.totals().rows()).append(" rows: ")
				.append(s.failedShown()).append(" failed, ").append(s.zeroScoreShown()).append(" scored 0, and ")
				.append(s.othersShown()).append(" of the other ").append(s.othersTotal()).append(" (one in ")
				.append(s.stride()).append("); the rest are left out to keep the page small. All rows are in ")
				.append(esc(data.info().output().toString())).append('.');
		}
		if (s.promptsNote() != null) {
			h.append(" Note: ").append(esc(s.promptsNote())).append('.');
		}
		h.append(" Texts longer than ").append(ReportData.MAX_TEXT).append(" characters are cut.</p>\n")
			.append("<div class=\"controls\"><input id=\"search\" type=\"search\" placeholder=\"Search id, prompt, ")
			.append("answer, error\" aria-label=\"search\"> <label><input id=\"failed-only\" type=\"checkbox\"> ")
			.append("failed only</label> <label><input id=\"zero-only\" type=\"checkbox\"> score 0 only</label> ")
			.append("<span><span id=\"shown-count\">").append(data.rows().size()).append("</span> rows match</span></div>\n")
			// fixed layout: the browser lays out the rows without measuring every cell first
			.append("<table id=\"answer-table\" data-scored=\"").append(scored).append("\"><colgroup>")
			.append("<col style=\"width:7%\"><col style=\"width:6%\"><col style=\"width:8%\"><col style=\"width:")
			.append(scored ? 22 : 27).append("%\"><col style=\"width:").append(scored ? 27 : 32).append("%\">")
			.append(scored ? "<col style=\"width:10%\">" : "")
			.append("<col style=\"width:7%\"><col style=\"width:7%\"><col style=\"width:6%\">")
			.append(scored ? "<col style=\"width:4%\">" : "").append("</colgroup>")
			.append("<thead><tr><th>id</th><th>status</th><th>model</th><th>prompt</th><th>answer</th>")
			.append(scored ? "<th>expected</th>" : "")
			.append("<th>tokens in/out</th><th>cost (USD)</th><th>latency (ms)</th>").append(scored ? "<th>score</th>" : "")
			.append("</tr></thead><tbody></tbody></table>\n<button id=\"more\" type=\"button\" hidden>Show more</button>")
			.append("<noscript><p>The table needs JavaScript; every row is also in the output file.</p></noscript>\n");
		// the rows as data, drawn by the script a page at a time (a page of thousands of table rows takes seconds
		// to lay out); texts are set as text, never as markup
		ArrayNode rows = JSON.createArrayNode();
		for (ReportData.ShownRow shown : data.rows()) {
			ResultRow r = shown.row();
			ArrayNode a = rows.addArray();
			a.add(r.id());
			a.add(r.ok() ? (r.cached() ? "ok (cached)" : "ok") : "failed");
			a.add(r.model());
			a.add(shown.prompt());
			a.add(r.ok() ? (r.answer() == null ? "" : r.answer()) : (r.error() == null ? "" : r.error()));
			a.add(r.reasoning());
			a.add(r.expected());
			a.add(r.ok() ? r.promptTokens() + " / " + r.completionTokens() : "");
			a.add(cost(r.cost()));
			a.add(r.cached() ? "" : Long.toString(r.latencyMillis()));
			if (r.score() == null) {
				a.addNull();
			}
			else {
				a.add(r.score().intValue());
			}
		}
		h.append("<script type=\"application/json\" id=\"rows\">").append(scriptSafe(JSON.writeValueAsString(rows)))
			.append("</script>\n</section>\n");
	}

	/**
	 * JSON that can stand inside a script element: {@code <}, {@code >} and {@code &} only occur inside JSON
	 * strings, where their unicode escapes mean the same, so no text can close the element.
	 */
	static String scriptSafe(String json) {
		return json.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026");
	}

	private static String cost(@Nullable BigDecimal cost) {
		return cost == null ? "" : cost.setScale(6, RoundingMode.HALF_UP).toPlainString();
	}

	private static String percent(long part, long whole) {
		return String.format(Locale.ROOT, "%.1f%%", whole == 0 ? 0.0 : 100.0 * part / whole);
	}

	/** The text with every character that HTML gives a meaning escaped. */
	static String esc(@Nullable String text) {
		if (text == null) {
			return "";
		}
		StringBuilder sb = null;
		for (int i = 0; i < text.length(); i++) {
			char c = text.charAt(i);
			String rep = switch (c) {
				case '&' -> "&amp;";
				case '<' -> "&lt;";
				case '>' -> "&gt;";
				case '"' -> "&quot;";
				case '\'' -> "&#39;";
				default -> null;
			};
			if (rep != null && sb == null) {
				sb = new StringBuilder(text.length() + 16).append(text, 0, i);
			}
			if (sb != null) {
				if (rep != null) {
					sb.append(rep);
				}
				else {
					sb.append(c);
				}
			}
		}
		return sb == null ? text : sb.toString();
	}

	private static final String STYLE = """
			body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1e293b;margin:0;padding:24px;background:#fff}
			h1{font-size:22px;margin:0 0 12px}h2{font-size:17px;margin:28px 0 10px;border-bottom:1px solid #e2e8f0;padding-bottom:4px}
			h3{font-size:14px;margin:10px 0 4px}.status{font-size:13px;padding:2px 8px;border-radius:10px;background:#e2e8f0;vertical-align:middle}
			.status-completed{background:#dcfce7;color:#166534}.status-failed{background:#fee2e2;color:#991b1b}.status-stopped{background:#fef9c3;color:#854d0e}
			.status-warning{background:#ffedd5;color:#9a3412}.status-simulated{background:#fee2e2;color:#991b1b}
			.banner{background:#fef2f2;border:1px solid #fecaca;color:#991b1b;border-radius:8px;padding:8px 12px;margin:0 0 12px}
			.tile.bad{border-color:#fca5a5;background:#fef2f2}.tile.bad .value{color:#b91c1c}td.bad,td.score-zero{background:#fee2e2;color:#991b1b;font-weight:600}
			.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:0}.facts dt{color:#64748b}.facts dd{margin:0;word-break:break-all}
			.tiles{display:flex;flex-wrap:wrap;gap:10px}.tile{border:1px solid #e2e8f0;border-radius:8px;padding:8px 14px;min-width:110px}
			.tile .value{font-size:18px;font-weight:600}.tile .name{color:#64748b;font-size:12px}
			.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:12px}figure{margin:0;border:1px solid #e2e8f0;border-radius:8px;padding:4px;min-width:0}
			figure svg{display:block;width:100%;height:auto}
			table{border-collapse:collapse;width:100%;font-size:13px}#answer-table{table-layout:fixed}td{overflow-wrap:anywhere}th,td{border-bottom:1px solid #e2e8f0;padding:4px 6px;text-align:left;vertical-align:top}
			th{background:#f8fafc;position:sticky;top:0}td.text{white-space:pre-wrap;max-width:38em;word-break:break-word}
			.error{color:#b91c1c}.note{color:#475569}.controls{margin:8px 0;display:flex;gap:14px;align-items:center;flex-wrap:wrap}
			#search{padding:5px 8px;width:22em;border:1px solid #cbd5e1;border-radius:6px}details summary{color:#64748b;cursor:pointer}
			.failure-group .count{color:#64748b;font-weight:normal}.failure-group ul{margin:0;padding-left:20px}tr[hidden]{display:none}
			""";

	private static final String SCRIPT = """
			(function () {
			  var PAGE = 200;
			  var data = JSON.parse(document.getElementById('rows').textContent);
			  var table = document.getElementById('answer-table');
			  var scored = table.getAttribute('data-scored') === 'true';
			  var body = table.querySelector('tbody');
			  var search = document.getElementById('search');
			  var failedOnly = document.getElementById('failed-only');
			  var zeroOnly = document.getElementById('zero-only');
			  var count = document.getElementById('shown-count');
			  var more = document.getElementById('more');
			  var texts = data.map(function (r) { return r.slice(0, 7).join('\\n').toLowerCase(); });
			  var matching = [], drawn = 0;
			  function cell(tr, text, className) {
			    var td = document.createElement('td');
			    if (className) { td.className = className; }
			    td.textContent = text == null ? '' : String(text);
			    tr.appendChild(td);
			    return td;
			  }
			  function row(r) {
			    var tr = document.createElement('tr');
			    tr.setAttribute('data-status', r[1] === 'failed' ? 'failed' : 'ok');
			    tr.setAttribute('data-score', r[10] == null ? '' : String(r[10]));
			    cell(tr, r[0]); cell(tr, r[1]); cell(tr, r[2]); cell(tr, r[3], 'text');
			    var answer = cell(tr, r[4], r[1] === 'failed' ? 'text error' : 'text');
			    if (r[5]) {
			      var details = document.createElement('details'), summary = document.createElement('summary');
			      summary.textContent = 'reasoning';
			      details.appendChild(summary);
			      details.appendChild(document.createTextNode(r[5]));
			      answer.appendChild(details);
			    }
			    if (scored) { cell(tr, r[6], 'text'); }
			    cell(tr, r[7]); cell(tr, r[8]); cell(tr, r[9]);
			    if (scored) { cell(tr, r[10], r[10] === 0 ? 'score-zero' : null); }
			    return tr;
			  }
			  function drawMore() {
			    var rows = document.createDocumentFragment(), end = Math.min(matching.length, drawn + PAGE);
			    for (; drawn < end; drawn++) { rows.appendChild(row(data[matching[drawn]])); }
			    body.appendChild(rows);
			    more.hidden = drawn >= matching.length;
			    more.textContent = 'Show ' + Math.min(PAGE, matching.length - drawn) + ' more of '
			      + (matching.length - drawn);
			  }
			  function apply() {
			    var q = search.value.trim().toLowerCase();
			    matching = [];
			    for (var i = 0; i < data.length; i++) {
			      if ((!q || texts[i].indexOf(q) >= 0)
			          && (!failedOnly.checked || data[i][1] === 'failed')
			          && (!zeroOnly.checked || data[i][10] === 0)) {
			        matching.push(i);
			      }
			    }
			    body.textContent = '';
			    drawn = 0;
			    count.textContent = matching.length;
			    drawMore();
			  }
			  search.addEventListener('input', apply);
			  failedOnly.addEventListener('change', apply);
			  zeroOnly.addEventListener('change', apply);
			  more.addEventListener('click', drawMore);
			  apply();
			}());
			""";
}
