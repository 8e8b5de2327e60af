package io.promptbatch.cli;

import io.promptbatch.batch.Endpoints;
import io.promptbatch.batch.RunOutcome;
import io.promptbatch.batch.state.OutputLock;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code promptbatch resume}: continues the last failed or stopped run. */
@Command(name = "resume", mixinStandardHelpOptions = true,
		description = { "Continues the most recent failed or stopped run of the state directory (or the given run)",
				"from its last commit, with the settings it was started with. The API key is read from the",
				"environment again." },
		footer = { "", "Example:", "  promptbatch resume --state-dir .promptbatch" })
final class ResumeCommand implements Callable<Integer> {

	@ParentCommand
	PromptbatchCommand parent;

	@Spec
	CommandSpec spec;

	@picocli.CommandLine.Mixin
	StateOptions state;

	@Option(names = "--run", paramLabel = "ID", description = "The run to continue, as 'promptbatch runs' lists it (default: the last failed or stopped run).")
	@Nullable Long runId;

	@Override
	public Integer call() throws Exception {
		PrintWriter err = spec.commandLine().getErr();
		// the in-process simulator is started in case the run was against it; it costs nothing otherwise
		try (InProcessSimulator simulator = InProcessSimulator.start()) {
			Endpoints endpoints = simulator.endpoints();
			try (GracefulStop stop = GracefulStop.install();
					JobSession session = JobSession.open(state.stateDir.toAbsolutePath(), parent.environment()::get, endpoints,
							stop.signal())) {
				RunOutcome outcome;
				Path runOutput;
				try {
					runOutput = session.launcher().outputToResume(runId);
				}
				catch (IllegalArgumentException e) {
					err.println("promptbatch: " + e.getMessage() + " in " + state.stateDir.toAbsolutePath());
					return 2;
				}
				// one run per output file, as for 'run'
				try (OutputLock lock = lockOf(runOutput)) {
					outcome = session.launcher().resume(runId);
					Path output = session.launcher().outputOf(outcome.executionId());
					boolean simulated = session.launcher().run(outcome.instanceId())
						.map(r -> Endpoints.isSimulator(r.spec().baseUrl()))
						.orElse(false);
					Summary.print(err, outcome, output, state.stateDir, session.progress().adaptiveConcurrency(),
							simulated);
				}
				stop.exitCode(outcome.exitCode());
				return outcome.exitCode();
			}
		}
	}

	private static OutputLock lockOf(Path output) throws java.io.IOException {
		try {
			return OutputLock.acquire(output);
		}
		catch (IllegalStateException e) {
			throw new PromptbatchCommand.UsageException(e.getMessage());
		}
	}
}
