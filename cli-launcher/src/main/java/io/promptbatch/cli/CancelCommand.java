package io.promptbatch.cli;

import io.promptbatch.batch.Endpoints;
import io.promptbatch.batch.RunRecord;
import io.promptbatch.batch.RunSpec;
import io.promptbatch.batch.batchapi.BatchCancel;
import io.promptbatch.batch.batchapi.BatchLedger;
import io.promptbatch.core.client.batchapi.Batch;
import io.promptbatch.core.client.batchapi.BatchApiClient;
import java.io.PrintWriter;
import java.util.List;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code promptbatch cancel}: cancels a {@code --batch-api} run's batches at the provider. */
@Command(name = "cancel", mixinStandardHelpOptions = true,
		description = { "Cancels the batches of a --batch-api run at the provider (the newest run with batches running,",
				"or the given run) and records it: lines they did not answer get no follow-up batch. Run the same",
				"'run' command again to write the answers they gave (the rest become failed rows)." },
		footer = { "", "Example:", "  promptbatch cancel --state-dir .promptbatch --run 7" })
final class CancelCommand extends StateCommand {

	@Option(names = "--run", paramLabel = "ID", description = "The run whose batches to cancel, as 'promptbatch runs' lists it (default: the newest run with batches running).")
	@Nullable Long runId;

	@Override
	public Integer call() throws Exception {
		PrintWriter err = err();
		try (GracefulStop stop = GracefulStop.install();
				JobSession session = JobSession.open(state, parent.environment()::get,
						Endpoints.IDENTITY, stop.signal())) {
			BatchLedger ledger = session.batchLedger();
			Long run = runId;
			if (run == null) {
				List<Long> open = ledger.runsWithOpenBatches();
				if (open.isEmpty()) {
					err.println("promptbatch: no run of " + state.stateDir.toAbsolutePath() + " has batches running");
					return 2;
				}
				run = open.get(0);
			}
			RunRecord record = session.launcher().run(run).orElse(null);
			if (record == null || ledger.parts(run).isEmpty()) {
				err.println("promptbatch: run " + run + " of " + state.stateDir.toAbsolutePath() + " has no batches");
				return 2;
			}
			RunSpec.Target target = record.spec().target();
			if (Endpoints.isSimulator(target.baseUrl())) {
				err.println("promptbatch: run " + run + " went to the built-in simulator, whose batches ended with it");
				return 2;
			}
			BatchApiClient.Builder client = BatchApiClient.builder().baseUrl(target.baseUrl());
			if (target.keyVariable() != null) {
				client.apiKey(parent.environment().get(target.keyVariable())).keyHint("the key in " + target.keyVariable());
			}
			List<Batch> cancelled = new BatchCancel(ledger, client.build()).cancel(run);
			err.printf("promptbatch: run %d: %d batches asked to cancel%s; run the same 'run' command again to write the "
					+ "answers they gave%n", run, cancelled.size(), cancelled.isEmpty() ? "" : " ("
							+ String.join(", ", cancelled.stream().map(b -> b.id() + " " + b.status()).toList()) + ")");
			err.flush();
			return 0;
		}
	}
}
