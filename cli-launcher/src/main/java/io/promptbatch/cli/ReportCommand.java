package io.promptbatch.cli;

import io.promptbatch.batch.Endpoints;
import io.promptbatch.batch.RunRecord;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code promptbatch report}: one self-contained HTML page of a run. */
@Command(name = "report", mixinStandardHelpOptions = true,
		description = { "Writes a self-contained HTML page of a run, with no network request of any kind. It has a header, totals,",
				"latency histogram, answers per second, cost and tokens per model, failures by kind, and a",
				"searchable table of answers (all failures and a bounded sample of the rest)." },
		footer = { "", "Examples:", "  promptbatch report --output answers.jsonl      # writes answers.jsonl.report.html",
				"  promptbatch report --run 3 --to run3.html" })
final class ReportCommand implements Callable<Integer> {

	@Spec
	CommandSpec spec;

	@picocli.CommandLine.Mixin
	StateOptions state;

	@Option(names = "--run", paramLabel = "ID", description = "The run (see 'promptbatch runs'); default: the newest.")
	@Nullable Long runId;

	@Option(names = "--output", paramLabel = "FILE", description = "The run that wrote this output file (its newest).")
	@Nullable Path output;

	@Option(names = "--to", paramLabel = "FILE", description = "Where to write the page (default: <output>.report.html).")
	@Nullable Path to;

	@Override
	public Integer call() throws Exception {
		PrintWriter err = spec.commandLine().getErr();
		if (runId != null && output != null) {
			throw new PromptbatchCommand.UsageException("give --run or --output, not both");
		}
		if (!state.hasState()) {
			throw new PromptbatchCommand.UsageException("no runs in " + state.where()
					+ "; give the --state-dir the run used");
		}
		try (JobSession session = JobSession.open(state, v -> null, Endpoints.IDENTITY,
				new io.promptbatch.batch.StopSignal(java.time.Duration.ofSeconds(1)))) {
			RunRecord run;
			if (runId != null) {
				run = session.launcher().run(runId).orElseThrow(() -> new PromptbatchCommand.UsageException(
						"there is no run " + runId + " in " + state.where() + " (see 'promptbatch runs')"));
			}
			else if (output != null) {
				run = session.launcher().runWithOutput(output).orElseThrow(() -> new PromptbatchCommand.UsageException(
						"no run in " + state.where() + " wrote " + output.toAbsolutePath()));
			}
			else {
				run = session.launcher().runs(1).stream().findFirst().orElseThrow(
						() -> new PromptbatchCommand.UsageException("no runs in " + state.where()));
			}
			Path page = RunReports.write(session, run, to);
			err.println("promptbatch: report of run " + run.id() + ": " + page);
			err.flush();
			return 0;
		}
	}
}
