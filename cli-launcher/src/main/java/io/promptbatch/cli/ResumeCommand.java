package io.promptbatch.cli;

import io.promptbatch.batch.Endpoints;
import io.promptbatch.batch.RunLauncher;
import io.promptbatch.batch.RunOutcome;
import io.promptbatch.batch.RunSpec;
import io.promptbatch.batch.state.OutputLock;
import java.io.PrintWriter;
import org.jspecify.annotations.Nullable;
import org.springframework.batch.core.BatchStatus;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code promptbatch resume}: continues the last failed or stopped run. */
@Command(name = "resume", mixinStandardHelpOptions = true,
		description = { "Continues the most recent failed or stopped run of the state directory (or the given run)",
				"from its last commit, with the settings it was started with. The API key is read from the",
				"environment again." },
		footer = { "", "Example:", "  promptbatch resume --state-dir .promptbatch" })
final class ResumeCommand extends StateCommand {

	@Option(names = "--run", paramLabel = "ID", description = "The run to continue, as 'promptbatch runs' lists it (default: the last failed or stopped run).")
	@Nullable Long runId;

	@Mixin
	ProgressOptions progress;

	@Override
	public Integer call() throws Exception {
		PrintWriter err = err();
		// the in-process simulator is started in case the run was against it; it costs nothing otherwise
		try (InProcessSimulator simulator = InProcessSimulator.start()) {
			Endpoints endpoints = simulator.endpoints();
			try (GracefulStop stop = GracefulStop.install();
					JobSession session = JobSession.open(state, parent.environment()::get, endpoints,
							stop.signal())) {
				RunLauncher.Resumable resumable = session.launcher().resumable(runId).orElse(null);
				if (resumable != null && resumable.run().status() != BatchStatus.COMPLETED) {
					RunSpec run = resumable.run().spec();
					err.printf("promptbatch: resuming run %d: %d prompts from %s -> %s (%s, model %s, concurrency %s)%n",
							resumable.run().id(), resumable.expectedRows(), run.files().input(), run.files().output(),
							Endpoints.SIMULATOR.equals(run.target().baseUrl()) ? "built-in simulator" : run.target().baseUrl(),
							run.target().model(),
							run.throughput().concurrency().describe());
					err.flush();
				}
				if (resumable == null) {
					err.println("promptbatch: " + (runId == null ? "there is no failed or stopped run to resume"
							: "there is no run " + runId) + " in " + state.where());
					return 2;
				}
				RunOutcome outcome;
				// one run per output file, as for 'run'
				try (OutputLock lock = OutputGuard.lock(resumable.run().spec().files().output())) {
					try (ProgressPrinter printer = ProgressPrinter.start(session.progress(), err,
							resumable.expectedRows(), System.console() != null, progress.progressInterval)) {
						outcome = session.launcher().resume(resumable);
					}
					Summary.print(err, outcome, outcome.output(), state.stateDir, session.progress().adaptiveConcurrency(),
							Endpoints.isSimulator(resumable.run().spec().target().baseUrl()));
					if (resumable.run().spec().files().report() && !outcome.alreadyComplete()) {
						RunReports.writeAtEnd(session, outcome, err);
					}
				}
				stop.exitCode(outcome.exitCode());
				return outcome.exitCode();
			}
		}
	}
}
