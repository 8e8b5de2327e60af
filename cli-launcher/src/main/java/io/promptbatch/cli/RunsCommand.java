package io.promptbatch.cli;

import io.promptbatch.batch.Endpoints;
import io.promptbatch.batch.RunRecord;
import java.io.PrintWriter;
import java.math.RoundingMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code promptbatch runs}: past runs of a state directory. */
@Command(name = "runs", mixinStandardHelpOptions = true,
		description = "Lists past runs of the state directory, newest first: id, start and end, status, files, rows "
				+ "ok/failed, tokens and cost.",
		footer = { "", "Example:", "  promptbatch runs --state-dir .promptbatch --limit 10" })
final class RunsCommand implements Callable<Integer> {

	private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");

	/** How a run answered by the built-in simulator is marked: its answers are fake, its costs were not paid. */
	static final String SIMULATED = "[simulator: fake answers, nothing paid]";

	@ParentCommand
	PromptbatchCommand parent;

	@Spec
	CommandSpec spec;

	@picocli.CommandLine.Mixin
	StateOptions state;

	@Option(names = "--limit", paramLabel = "N", defaultValue = "20", description = "How many runs to list (default: ${DEFAULT-VALUE}).")
	int limit;

	@Override
	public Integer call() throws Exception {
		PrintWriter out = spec.commandLine().getOut();
		if (!state.hasState()) {
			spec.commandLine().getErr().println("promptbatch: no runs in " + state.where());
			return 0;
		}
		List<RunRecord> runs;
		try (GracefulStop stop = GracefulStop.install();
				JobSession session = JobSession.open(state, v -> null, Endpoints.IDENTITY,
						stop.signal())) {
			runs = session.launcher().runs(limit);
		}
		out.printf(Locale.ROOT, "%-4s %-19s %-19s %-9s %8s %7s %12s %12s %10s  %s%n", "RUN", "STARTED", "ENDED", "STATUS",
				"OK", "FAILED", "TOKENS IN", "TOKENS OUT", "COST USD", "INPUT -> OUTPUT");
		for (RunRecord r : runs) {
			out.printf(Locale.ROOT, "%-4d %-19s %-19s %-9s %8d %7d %12d %12d %10s  %s -> %s%s%n", r.id(),
					r.started() == null ? "-" : TIME.format(r.started()), r.ended() == null ? "-" : TIME.format(r.ended()),
					r.status().name().toLowerCase(Locale.ROOT), r.totals().ok(), r.totals().failed(),
					r.totals().promptTokens(), r.totals().completionTokens(),
					r.totals().costUsd().setScale(4, RoundingMode.HALF_UP).toPlainString(), r.spec().files().input(),
					r.spec().files().output(), (r.spec().accounting().runKey() == null ? "" : "  (key " + r.spec().accounting().runKey() + ")")
							+ (Endpoints.isSimulator(r.spec().target().baseUrl()) ? "  " + SIMULATED : ""));
		}
		out.flush();
		return 0;
	}
}
