package io.promptbatch.cli;

import io.promptbatch.batch.CacheMode;
import io.promptbatch.batch.Endpoints;
import io.promptbatch.batch.RunRecord;
import io.promptbatch.batch.RunSpec;
import io.promptbatch.batch.output.OutputFormat;
import io.promptbatch.core.prompt.PromptOptions;
import io.promptbatch.core.prompt.PromptReader;
import io.promptbatch.report.HtmlReport;
import io.promptbatch.report.OutputRows;
import io.promptbatch.report.ReportData;
import io.promptbatch.report.RunInfo;
import java.io.IOException;
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

	static Path write(JobSession session, RunRecord run, @Nullable Path to) throws IOException {
		RunSpec spec = run.spec();
		if (!Files.isRegularFile(spec.output())) {
			throw new PromptbatchCommand.UsageException("run " + run.id() + "'s output " + spec.output()
					+ " is not there any more; the page is drawn from it");
		}
		ZoneId zone = ZoneId.systemDefault();
		RunInfo info = new RunInfo(run.id(), run.status().name().toLowerCase(Locale.ROOT),
				run.started() == null ? null : run.started().atZone(zone).toInstant(),
				run.ended() == null ? null : run.ended().atZone(zone).toInstant(), run.wall(), spec.input(),
				spec.output(), spec.baseUrl(), spec.model(), spec.outputFormat() == OutputFormat.OPENAI_BATCH,
				settings(spec), Endpoints.isSimulator(spec.baseUrl()));
		PromptOptions options = new PromptOptions(spec.system(), spec.template(), spec.skipInvalid());
		ReportData data = ReportData.of(info,
				() -> OutputRows.open(spec.output(), spec.outputFormat() == OutputFormat.OPENAI_BATCH),
				Files.isRegularFile(spec.input()) ? () -> PromptReader.open(spec.input(), options) : null,
				session.journal().answersPerSecond(run.id()));
		return HtmlReport.write(data, to != null ? to : defaultPath(spec.output()));
	}

	/** The command's settings as the page shows them; the key itself is never part of a run's settings. */
	private static Map<String, String> settings(RunSpec spec) {
		Map<String, String> s = new LinkedHashMap<>();
		s.put("concurrency", spec.autoConcurrency() ? "auto, up to " + spec.concurrency() : Integer.toString(spec.concurrency()));
		s.put("retries", spec.maxRetries() + " per request, timeout " + spec.timeout().toSeconds() + " s");
		if (spec.stream()) {
			s.put("stream", "on, idle timeout " + spec.idleTimeout().toSeconds() + " s");
		}
		if (spec.rpm() > 0 || spec.tpm() > 0) {
			s.put("rate limits", (spec.rpm() > 0 ? spec.rpm() + " requests/min " : "")
					+ (spec.tpm() > 0 ? spec.tpm() + " tokens/min" : ""));
		}
		if (spec.maxTokens() != null) {
			s.put("max tokens", spec.maxTokens().toString());
		}
		if (spec.temperature() != null) {
			s.put("temperature", spec.temperature().toString());
		}
		if (spec.system() != null) {
			s.put("system", spec.system());
		}
		if (spec.template() != null) {
			s.put("template", spec.template());
		}
		spec.params().forEach((k, v) -> s.put("param " + k, v.toString()));
		if (spec.cache() != CacheMode.USE) {
			s.put("cache", spec.cache() == CacheMode.BYPASS ? "not used (--no-cache)" : "only (--cache-only)");
		}
		if (spec.score() != null) {
			s.put("score", spec.score().id());
		}
		if (spec.budgetUsd() != null) {
			s.put("budget", "$" + spec.budgetUsd().toPlainString());
		}
		if (spec.runKey() != null) {
			s.put("run key", spec.runKey());
		}
		if (spec.keyVariable() != null) {
			s.put("API key from", spec.keyVariable());
		}
		s.put("output format", spec.outputFormat().id());
		return s;
	}
}
