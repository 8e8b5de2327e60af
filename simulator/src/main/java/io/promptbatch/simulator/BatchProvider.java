package io.promptbatch.simulator;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * Whose Batch API the simulator plays: the completion windows it accepts, its default limits and the
 * request settings it refuses in batch lines.
 *
 * <p>Facts, as the providers' pages gave them on 2026-12-02:
 * <ul>
 * <li>OpenAI (https://platform.openai.com/docs/api-reference/batch/create, quoted in the async-openai
 * crate's docs): an input file holds at most 50,000 requests and 200 MB; {@code completion_window} is
 * {@code 24h} only; metadata at most 16 pairs, keys up to 64 and values up to 512 characters.</li>
 * <li>Kimi/Moonshot (https://platform.kimi.ai/docs/api/batch-create): {@code .jsonl}, non-empty, at most
 * 100 MB; at most 1,000 batch-purpose files per organisation; one model per batch; {@code custom_id}
 * unique in the file. No limit on the number of requests is given. Completion window 12h to 7d (the
 * Chinese reference mirrored at https://www.studynil.com/ai/llm/kimi/api/batch-create.html: "12h, 1d,
 * 3d, at least 12h, at most 7d").</li>
 * <li>Kimi (https://platform.kimi.ai/docs/guide/use-batch-api): the Batch API serves kimi-k2.6 and
 * kimi-k2.5, whose {@code temperature}, {@code top_p} "and other parameters cannot be modified — do not
 * include them in the request body"; the model parameter reference
 * (https://platform.kimi.ai/docs/api/models-overview) lists them: {@code temperature}, {@code top_p},
 * {@code n}, {@code presence_penalty}, {@code frequency_penalty}. Whether the real service fails the
 * batch's validation or each such line is not documented; the simulator fails the validation, naming
 * each line and the setting.</li>
 * </ul>
 */
public enum BatchProvider {

	/** OpenAI's Batch API: window {@code 24h}, at most 50,000 lines and 200 MB a file. */
	OPENAI(50_000, 200L * 1024 * 1024, 0, Set.of()),

	/**
	 * Kimi/Moonshot's: windows 12h to 7d, at most 100 MB a file and 1,000 batch files; kimi-k2.5 and
	 * kimi-k2.6 lines must not set {@code temperature}, {@code top_p}, {@code n}, {@code presence_penalty}
	 * or {@code frequency_penalty}.
	 */
	KIMI(0, 100L * 1024 * 1024, 1_000,
			Set.of("temperature", "top_p", "n", "presence_penalty", "frequency_penalty"));

	private static final Pattern WINDOW = Pattern.compile("(\\d{1,4})([hd])");

	private final int maxLines;
	private final long maxBytes;
	private final int maxFiles;
	private final Set<String> fixedSettings;

	BatchProvider(int maxLines, long maxBytes, int maxFiles, Set<String> fixedSettings) {
		this.maxLines = maxLines;
		this.maxBytes = maxBytes;
		this.maxFiles = maxFiles;
		this.fixedSettings = fixedSettings;
	}

	/** Lines a batch file may hold by default; 0 for no limit. */
	public int maxLines() {
		return maxLines;
	}

	/** Bytes an uploaded batch file may hold by default. */
	public long maxBytes() {
		return maxBytes;
	}

	/** Batch files that may be stored at once by default; 0 for no limit. */
	public int maxFiles() {
		return maxFiles;
	}

	/**
	 * Why this provider refuses the completion window, or null when it accepts it.
	 */
	@Nullable String refusesWindow(String window) {
		if (this == OPENAI) {
			return "24h".equals(window) ? null : "completion_window must be 24h, was '" + window + "'";
		}
		Matcher m = WINDOW.matcher(window);
		if (m.matches()) {
			long hours = Long.parseLong(m.group(1)) * ("d".equals(m.group(2)) ? 24 : 1);
			if (hours >= 12 && hours <= 7 * 24) {
				return null;
			}
		}
		return "completion_window must be between 12h and 7d (e.g. 12h, 24h, 1d, 3d, 7d), was '" + window + "'";
	}

	/** The window's length, once accepted. */
	static Duration windowLength(String window) {
		Matcher m = WINDOW.matcher(window);
		if (!m.matches()) {
			return Duration.ofHours(24);
		}
		long n = Long.parseLong(m.group(1));
		return "d".equals(m.group(2)) ? Duration.ofDays(n) : Duration.ofHours(n);
	}

	/** The settings of a batch line's body this provider refuses for its model, in the body's order. */
	List<String> refusedSettings(JsonNode body) {
		String model = body.path("model").asString("");
		if (fixedSettings.isEmpty() || !(model.startsWith("kimi-k2.5") || model.startsWith("kimi-k2.6"))) {
			return List.of();
		}
		return body.propertyNames().stream().filter(fixedSettings::contains).toList();
	}
}
