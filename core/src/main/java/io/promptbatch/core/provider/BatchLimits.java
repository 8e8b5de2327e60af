package io.promptbatch.core.provider;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * What a provider's Batch API takes, from its public documentation (read 2026-12-02): the most bytes and lines of
 * one input file, and the request settings a model does not let batch requests change.
 * <ul>
 * <li>OpenAI: a file of at most 200 MB and 50,000 requests, a 24 h window, half the live price.</li>
 * <li>Moonshot (Kimi): {@code .jsonl}, at most 100 MB, one model per file, at most 1,000 batch files stored per
 * organisation; no line limit is documented; kimi-k2.5
 * (and kimi-k2.6) do not let a request change {@code temperature}, {@code top_p}, {@code n},
 * {@code presence_penalty} or {@code frequency_penalty} (platform.kimi.ai "models-overview"); the batch price is 60 %
 * of the live one (platform.kimi.ai "pricing/batch").</li>
 * <li>Ace Data Cloud: its Kimi API is {@code /kimi/chat/completions} alone; no Batch API is documented.</li>
 * <li>Any other server (the simulator, vLLM): OpenAI's limits.</li>
 * </ul>
 *
 * @param provider who the limits are of, for messages
 * @param maxBytes the most bytes of one input file
 * @param maxLines the most lines of one input file ({@link Long#MAX_VALUE} when none is documented)
 * @param maxFiles the most batch files the provider stores for an organisation ({@link Long#MAX_VALUE} when none is
 *     documented)
 */
public record BatchLimits(String provider, long maxBytes, long maxLines, long maxFiles) {

	private static final long MB = 1024L * 1024;

	public static final BatchLimits OPENAI = new BatchLimits("OpenAI", 200 * MB, 50_000, Long.MAX_VALUE);

	public static final BatchLimits MOONSHOT = new BatchLimits("Moonshot", 100 * MB, Long.MAX_VALUE, 1_000);

	/** The settings Kimi K2.5 and K2.6 do not let a request change. */
	public static final List<String> KIMI_FIXED = List.of("temperature", "top_p", "n", "presence_penalty",
			"frequency_penalty");

	public BatchLimits {
		if (maxBytes < 1 || maxLines < 1 || maxFiles < 1) {
			throw new IllegalArgumentException("batch file limits must be at least 1, were " + maxBytes + " bytes, "
					+ maxLines + " lines and " + maxFiles + " files");
		}
	}

	/**
	 * The limits of the Batch API at this base URL, or empty when the provider has none (Ace Data Cloud).
	 */
	public static Optional<BatchLimits> at(String baseUrl) {
		Provider provider = Provider.atBaseUrl(baseUrl).orElse(null);
		if (provider == Provider.ACEDATA_KIMI) {
			return Optional.empty();
		}
		return Optional.of(provider == Provider.MOONSHOT ? MOONSHOT : OPENAI);
	}

	/** Why a provider has no Batch API, as a sentence for a refusal. */
	public static String noBatchApi(String baseUrl) {
		return "Ace Data Cloud (" + baseUrl + ") offers no Batch API: its Kimi API is chat completions only; run "
				+ "without --batch-api, or with --provider moonshot for Kimi's own Batch API";
	}

	/** These limits with the given ones where they are set (more than 0), for tests and accounts with others. */
	public BatchLimits override(long bytes, long lines) {
		return new BatchLimits(provider, bytes > 0 ? bytes : maxBytes, lines > 0 ? lines : maxLines, maxFiles);
	}

	/** The request settings a batch request to {@code model} may not set: Kimi K2.5 and K2.6 fix five. */
	public static List<String> fixedSettings(String model) {
		String m = model.toLowerCase(Locale.ROOT);
		return m.startsWith("kimi-k2.5") || m.startsWith("kimi-k2.6") ? KIMI_FIXED : List.of();
	}
}
