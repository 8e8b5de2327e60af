package io.promptbatch.cli;

import io.promptbatch.batch.Endpoints;
import io.promptbatch.batch.RunRecord;
import io.promptbatch.batch.partition.PartitionListing;
import java.io.PrintWriter;
import java.math.RoundingMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code promptbatch runs}: past runs of a state directory. */
@Command(name = "runs", mixinStandardHelpOptions = true,
		description = "Lists past runs of the state directory, newest first: id, start and end, status, files, rows "
				+ "ok/failed, tokens and cost.",
		footer = { "", "Example:", "  promptbatch runs --state-dir .promptbatch --limit 10" })
final class RunsCommand extends StateCommand {

	private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");

	/** How a run answered by the built-in simulator is marked: its answers are fake, its costs were not paid. */
	static final String SIMULATED = "[simulator: fake answers, nothing paid]";

	@Option(names = "--limit", paramLabel = "N", defaultValue = "20", description = "How many runs to list (default: ${DEFAULT-VALUE}).")
	int limit;

	@Override
	public Integer call() throws Exception {
		PrintWriter out = spec.commandLine().getOut();
		if (!state.hasState()) {
			err().println("promptbatch: no runs in " + state.where());
			return 0;
		}
		List<RunRecord> runs;
		Map<Long, List<PartitionListing.Attempt>> partitions = new HashMap<>();
		try (GracefulStop stop = GracefulStop.install();
				JobSession session = JobSession.open(state, v -> null, Endpoints.IDENTITY,
						stop.signal())) {
			runs = session.launcher().runs(limit);
			for (RunRecord r : runs) {
				partitions.put(r.id(), session.partitions(r.id()));
			}
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
			List<PartitionListing.Attempt> attempts = partitions.getOrDefault(r.id(), List.of());
			List<PartitionListing.Attempt> handedBack = PartitionListing.handedBack(attempts);
			for (PartitionListing.Attempt p : attempts) {
				String why = handedBack.contains(p) ? "handed back: its worker was stopped"
						: p.exitDescription().lines().findFirst().orElse("");
				out.printf(Locale.ROOT, "     partition %s  records [%d, %d)  %-9s %8d rows  %s%s%n", p.name(), p.from(), p.to(),
						p.status().name().toLowerCase(Locale.ROOT), p.rows(),
						p.worker() == null ? "not taken" : "on " + p.worker(), why.isBlank() ? "" : "  (" + why + ")");
			}
		}
		out.flush();
		return 0;
	}
}
