package io.promptbatch.core.provider;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * The request body field that carries the completion token cap ({@code --max-tokens}, a record's own
 * {@code max_tokens}). Servers differ in which one they honour, and one that does not know the field it
 * is sent ignores it: the cap does not hold. {@link #honouredBy(String, String)} is the table of what each
 * provider and model family reads, from the providers' own references (checked 2026):
 * <ul>
 * <li>OpenAI ({@code api.openai.com}): {@code max_completion_tokens} for every model. The chat completions
 * reference marks {@code max_tokens} deprecated in its favour and "not compatible with o-series models";
 * the o1, o3, o4-mini and gpt-5 families refuse {@code max_tokens} with HTTP 400.</li>
 * <li>Moonshot's Kimi platform ({@code api.moonshot.ai}, {@code api.moonshot.cn}): {@code max_completion_tokens};
 * its chat reference marks {@code max_tokens} deprecated, and Kimi K2.6 does not honour it at all.</li>
 * <li>Kimi K2.6 ({@code kimi-k2.6...}) behind any base URL (Ace Data Cloud, gateways, a self-hosted
 * server): {@code max_completion_tokens}. The OpenAI reasoning families ({@code o1}, {@code o3},
 * {@code o4-...}, {@code gpt-5...}) behind any base URL: {@code max_completion_tokens}.</li>
 * <li>Everything else (Ace Data Cloud's other Kimi models, vLLM, llama.cpp, the simulator):
 * {@code max_tokens}, which every OpenAI-compatible server has read from the start.</li>
 * </ul>
 * A server not in the table gets {@code max_tokens}; {@code --max-tokens-field} names the field for it.
 */
public enum MaxTokensField {

	MAX_TOKENS("max_tokens"),

	MAX_COMPLETION_TOKENS("max_completion_tokens");

	private final String wireName;

	MaxTokensField(String wireName) {
		this.wireName = wireName;
	}

	/** The field's name in the request body. */
	public String wireName() {
		return wireName;
	}

	/** The other field: the one to try when a server ignores this one. */
	public MaxTokensField other() {
		return this == MAX_TOKENS ? MAX_COMPLETION_TOKENS : MAX_TOKENS;
	}

	/**
	 * The field the server at {@code baseUrl} honours for {@code model}.
	 * @param baseUrl the run's base URL (a provider's own, or any other)
	 * @param model the model the request names
	 */
	public static MaxTokensField honouredBy(String baseUrl, String model) {
		String name = model.toLowerCase(Locale.ROOT).strip();
		// a gateway may prefix the vendor ("moonshotai/kimi-k2.6", "openai/gpt-5")
		String bare = name.substring(name.lastIndexOf('/') + 1);
		if (bare.startsWith("kimi-k2.6") || isOpenAiReasoning(bare)) {
			return MAX_COMPLETION_TOKENS;
		}
		Optional<Provider> provider = Provider.atBaseUrl(baseUrl);
		if (provider.isPresent() && (provider.get() == Provider.OPENAI || provider.get() == Provider.MOONSHOT)) {
			return MAX_COMPLETION_TOKENS;
		}
		return MAX_TOKENS;
	}

	private static boolean isOpenAiReasoning(String model) {
		return model.matches("o[134](-.*)?") || model.startsWith("gpt-5");
	}

	/**
	 * The field named as on the wire ({@code max_tokens}, {@code max_completion_tokens}).
	 * @throws IllegalArgumentException naming the choices, for any other name
	 */
	public static MaxTokensField of(String name) {
		String wanted = name.toLowerCase(Locale.ROOT).strip().replace('-', '_');
		return Arrays.stream(values())
			.filter(f -> f.wireName.equals(wanted))
			.findFirst()
			.orElseThrow(() -> new IllegalArgumentException("unknown cap field '" + name + "'; choose one of "
					+ Arrays.stream(values()).map(MaxTokensField::wireName).toList()));
	}

	@Override
	public String toString() {
		return wireName;
	}
}
