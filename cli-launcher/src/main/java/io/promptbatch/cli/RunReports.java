package io.promptbatch.cli;

import io.promptbatch.batch.CacheMode;
import io.promptbatch.batch.Endpoints;
import io.promptbatch.batch.RunOutcome;
import io.promptbatch.batch.RunRecord;
import io.promptbatch.batch.Concurrency;
import io.promptbatch.batch.RunSpec;
import io.promptbatch.batch.output.OutputFormat;
import io.promptbatch.core.prompt.PromptOptions;
import io.promptbatch.core.prompt.PromptReader;
import io.promptbatch.report.HtmlReport;
import io.promptbatch.report.OutputRows;
import io.promptbatch.report.ReportData;
import io.promptbatch.report.RunInfo;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneId;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** Writes a run's page from what the job repository, the journal, the output and the input say of it. */
final class RunReports {

	private RunReports() {
	}

	/** Where a run's page goes unless told otherwise: {@code <output>.report.html}. */
	static Path defaultPath(Path output) {
		return output.resolveSibling(output.getFileName() + ".report.html");
	}

	/** Writes the page of a run that just ended ({@code --report}), saying where, or why not and what to do. */
	static void writeAtEnd(JobSession session, RunOutcome outcome, PrintWriter err) {
		try {
			var run = session.launcher().run(outcome.instanceId());
			if (run.isPresent()) {
				err.printf("  report: %s%n", write(session, run.get(), null));
			}
		}
		catch (IOException | RuntimeException e) {
			err.printf("  report: could not be written (%s); try 'promptbatch report --output %s'%n", e.getMessage(),
					outcome.output());
		}
		err.flush();
	}

	static Path write(JobSession session, RunRecord run, @Nullable Path to) throws IOException {
		RunSpec spec = run.spec();
		if (!Files.isRegularFile(spec.files().output())) {
			throw new PromptbatchCommand.UsageException("run " + run.id() + "'s output " + spec.files().output()
					+ " is not there any more; the page is drawn from it");
		}
		ZoneId zone = ZoneId.systemDefault();
		RunInfo info = new RunInfo(run.id(), run.status().name().toLowerCase(Locale.ROOT),
				run.started() == null ? null : run.started().atZone(zone).toInstant(),
				run.ended() == null ? null : run.ended().atZone(zone).toInstant(), run.wall(), spec.files().input(),
				spec.files().output(), spec.target().baseUrl(), spec.target().model(), spec.files().format() == OutputFormat.OPENAI_BATCH,
				settings(spec), Endpoints.isSimulator(spec.target().baseUrl()));
		PromptOptions options = new PromptOptions(spec.request().system(), spec.request().template(), spec.files().skipInvalid());
		ReportData data = ReportData.of(info,
				() -> OutputRows.open(spec.files().output(), spec.files().format() == OutputFormat.OPENAI_BATCH),
				Files.isRegularFile(spec.files().input()) ? () -> PromptReader.open(spec.files().input(), options) : null,
				session.journal().answersPerSecond(run.id()));
		return HtmlReport.write(data, to != null ? to : defaultPath(spec.files().output()));
	}

	/** The command's settings as the page shows them; the key itself is never part of a run's settings. */
	private static Map<String, String> settings(RunSpec spec) {
		Map<String, String> s = new LinkedHashMap<>();
		Concurrency concurrency = spec.throughput().concurrency();
		s.put("concurrency", concurrency.auto() ? "auto, up to " + concurrency.max() : Integer.toString(concurrency.max()));
		s.put("retries", spec.resilience().maxRetries() + " per request, timeout " + spec.resilience().timeout().toSeconds() + " s");
		if (spec.resilience().stream()) {
			s.put("stream", "on, idle timeout " + spec.resilience().idleTimeout().toSeconds() + " s");
		}
		if (spec.throughput().rpm() > 0 || spec.throughput().tpm() > 0) {
			s.put("rate limits", (spec.throughput().rpm() > 0 ? spec.throughput().rpm() + " requests/min " : "")
					+ (spec.throughput().tpm() > 0 ? spec.throughput().tpm() + " tokens/min" : ""));
		}
		if (spec.request().maxTokens() != null) {
			s.put("max tokens", spec.request().maxTokens().toString());
		}
		if (spec.request().temperature() != null) {
			s.put("temperature", spec.request().temperature().toString());
		}
		if (spec.request().system() != null) {
			s.put("system", spec.request().system());
		}
		if (spec.request().template() != null) {
			s.put("template", spec.request().template());
		}
		spec.request().params().forEach((k, v) -> s.put("param " + k, v.toString()));
		if (spec.accounting().cache() != CacheMode.USE) {
			s.put("cache", spec.accounting().cache() == CacheMode.BYPASS ? "not used (--no-cache)" : "only (--cache-only)");
		}
		if (spec.accounting().score() != null) {
			s.put("score", spec.accounting().score().id());
		}
		if (spec.accounting().budgetUsd() != null) {
			s.put("budget", "$" + spec.accounting().budgetUsd().toPlainString());
		}
		if (spec.accounting().runKey() != null) {
			s.put("run key", spec.accounting().runKey());
		}
		if (spec.target().keyVariable() != null) {
			s.put("API key from", spec.target().keyVariable());
		}
		s.put("output format", spec.files().format().id());
		return s;
	}
}
