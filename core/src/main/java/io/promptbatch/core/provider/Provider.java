package io.promptbatch.core.provider;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Providers promptbatch knows by name: base URL, default model, and the environment variable that
 * holds the key. {@code PROMPTBATCH_API_KEY} is tried first for every provider.
 */
public enum Provider {

	ACEDATA_KIMI("acedata-kimi", "https://api.acedata.cloud/kimi", "kimi-k2.5", "ACEDATA_API_TOKEN"),

	MOONSHOT("moonshot", "https://api.moonshot.ai/v1", "kimi-k2-0905-preview", "MOONSHOT_API_KEY"),

	OPENAI("openai", "https://api.openai.com/v1", "gpt-4o-mini", "OPENAI_API_KEY"),

	/** The built-in simulator, started in-process on a free local port. */
	SIMULATOR("simulator", null, "kimi-k2.5", null);

	/** The variable tried first for every provider. */
	public static final String GENERIC_KEY_VARIABLE = "PROMPTBATCH_API_KEY";

	/** Ace Data Cloud's Kimi models at the time of writing; any other name is accepted too. */
	public static final List<String> ACEDATA_KIMI_MODELS = List.of("kimi-k2.5", "kimi-k2-thinking",
			"kimi-k2-thinking-turbo", "kimi-k2-instruct-0905", "kimi-k2-0905-preview", "kimi-k2-turbo-preview",
			"kimi-k2-0711-preview");

	private final String id;
	private final @Nullable String baseUrl;
	private final String defaultModel;
	private final @Nullable String keyVariable;

	Provider(String id, @Nullable String baseUrl, String defaultModel, @Nullable String keyVariable) {
		this.id = id;
		this.baseUrl = baseUrl;
		this.defaultModel = defaultModel;
		this.keyVariable = keyVariable;
	}

	public String id() {
		return id;
	}

	/** The base URL, or null for the simulator (whose port is chosen at start). */
	public @Nullable String baseUrl() {
		return baseUrl;
	}

	public String defaultModel() {
		return defaultModel;
	}

	/** The provider's own key variable, or null when it needs no key. */
	public @Nullable String keyVariable() {
		return keyVariable;
	}

	/** The key from the environment: {@code PROMPTBATCH_API_KEY}, else the provider's own variable. */
	public @Nullable String apiKey(Map<String, String> environment) {
		String generic = environment.get(GENERIC_KEY_VARIABLE);
		if (generic != null && !generic.isBlank()) {
			return generic;
		}
		if (keyVariable == null) {
			return null;
		}
		String own = environment.get(keyVariable);
		return own == null || own.isBlank() ? null : own;
	}

	/** Where the key is read from, for messages (never the key itself). */
	public String keyHint(Map<String, String> environment) {
		String generic = environment.get(GENERIC_KEY_VARIABLE);
		if ((generic != null && !generic.isBlank()) || keyVariable == null) {
			return "the key in " + GENERIC_KEY_VARIABLE;
		}
		return "the key in " + keyVariable;
	}

	/**
	 * The provider whose API lives at this base URL (by host; Moonshot's China host {@code api.moonshot.cn}
	 * too), or empty for any other server.
	 */
	public static Optional<Provider> atBaseUrl(String baseUrl) {
		String host = hostOf(baseUrl);
		if (host == null) {
			return Optional.empty();
		}
		if (host.equals("api.moonshot.cn")) {
			return Optional.of(MOONSHOT);
		}
		return Arrays.stream(values()).filter(p -> p.baseUrl != null && host.equals(hostOf(p.baseUrl))).findFirst();
	}

	private static @Nullable String hostOf(String url) {
		try {
			String host = java.net.URI.create(url.strip()).getHost();
			return host == null ? null : host.toLowerCase(Locale.ROOT);
		}
		catch (IllegalArgumentException e) {
			return null;
		}
	}

	public static Provider of(String id) {
		String wanted = id.toLowerCase(Locale.ROOT).strip();
		return Arrays.stream(values())
			.filter(p -> p.id.equals(wanted))
			.findFirst()
			.orElseThrow(() -> new IllegalArgumentException("unknown provider '" + id + "'; choose one of "
					+ Arrays.stream(values()).map(Provider::id).toList()));
	}

	@Override
	public String toString() {
		return id;
	}
}
