package io.promptbatch.cli;

import io.promptbatch.batch.Endpoints;
import io.promptbatch.core.prompt.InputException;
import io.promptbatch.core.prompt.InputScan;
import io.promptbatch.core.provider.Provider;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Where a run's requests go, which model they name, and where the key comes from, as {@code --provider},
 * {@code --base-url}, {@code --model} and the environment say.
 *
 * @param recordedBaseUrl the base URL recorded with the run
 * @param model the model of records that name none, or {@link #EACH_RECORDS_OWN} when there is none and
 *     every record must name its own
 * @param keyVariable the environment variable that holds the key, or null
 * @param simulator the run goes to the built-in simulator
 * @param describe the target as the first line of a run names it
 */
record RunTarget(String recordedBaseUrl, String model, @Nullable String keyVariable, boolean simulator,
		String describe) {

	/** The run's model when it has none: each record's own is sent. */
	static final String EACH_RECORDS_OWN = "(each record's own)";

	/**
	 * @param cacheOnly the run answers from the cache alone, so a missing key is no error
	 * @param err where the choice of the simulator is said
	 */
	static RunTarget of(@Nullable String provider, @Nullable String baseUrl, @Nullable String model,
			boolean cacheOnly, Map<String, String> env, PrintWriter err) {
		Provider chosen;
		if (provider != null) {
			try {
				chosen = Provider.of(provider);
			}
			catch (IllegalArgumentException e) {
				throw new PromptbatchCommand.UsageException("--provider: " + e.getMessage());
			}
		}
		else if (baseUrl != null) {
			chosen = null;
		}
		else if (Provider.ACEDATA_KIMI.apiKey(env) != null) {
			chosen = Provider.ACEDATA_KIMI;
		}
		else {
			chosen = Provider.SIMULATOR;
			err.println("promptbatch: no --provider, --base-url or API key given: using the "
					+ "built-in simulator (answers are fake). Set ACEDATA_API_TOKEN to call Kimi on Ace Data Cloud.");
		}
		if (chosen == Provider.SIMULATOR && baseUrl == null) {
			return new RunTarget(Endpoints.SIMULATOR, model != null ? model : chosen.defaultModel(), null, true,
					"built-in simulator");
		}
		String url = baseUrl != null ? baseUrl : chosen.baseUrl();
		// with --base-url alone there is no default model: every record must then name its own (checked by the scan)
		String m = model != null ? model : chosen != null ? chosen.defaultModel() : null;
		String keyVariable = null;
		String generic = env.get(Provider.GENERIC_KEY_VARIABLE);
		if (generic != null && !generic.isBlank()) {
			keyVariable = Provider.GENERIC_KEY_VARIABLE;
		}
		else if (chosen != null && chosen.keyVariable() != null) {
			String own = env.get(chosen.keyVariable());
			if ((own == null || own.isBlank()) && !cacheOnly) {
				throw new PromptbatchCommand.UsageException("no API key for " + chosen.id() + ": set "
						+ chosen.keyVariable() + " (or " + Provider.GENERIC_KEY_VARIABLE + ") in the environment");
			}
			keyVariable = own == null || own.isBlank() ? null : chosen.keyVariable();
		}
		String unsendable = keyVariable == null ? null
				: io.promptbatch.core.client.ChatClient.Builder.unsendableKey(env.get(keyVariable), "the key in " + keyVariable);
		if (unsendable != null) {
			throw new PromptbatchCommand.UsageException(unsendable);
		}
		return new RunTarget(url, m != null ? m : EACH_RECORDS_OWN, keyVariable, false,
				chosen != null ? chosen.id() + " " + url : url);
	}

	/** Refuses an input with a record that names no model when the run has none to give it. */
	void requireModels(Path input, InputScan scan) {
		if (model.equals(EACH_RECORDS_OWN) && scan.withoutModel() > 0) {
			throw new InputException(input, scan.firstWithoutModel(), "this record names no model"
					+ (scan.withoutModel() > 1 ? " (nor do " + (scan.withoutModel() - 1) + " more)" : "")
					+ ", and with --base-url alone the run has none to give it: add a model to every record (the "
					+ "\"model\" column or field, an OpenAI Batch line's body.model), or name one with --model");
		}
	}
}
