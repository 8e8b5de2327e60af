package io.promptbatch.cli;

import io.promptbatch.core.chat.ChatRequest;
import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The {@code --param KEY=VALUE} options of {@code run} as request body fields. */
final class ParamTexts {

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private ParamTexts() {
	}

	/** The {@code --param} fields: each value is JSON, or else text. */
	static Map<String, JsonNode> parse(Map<String, String> paramTexts) {
		Map<String, JsonNode> params = new java.util.LinkedHashMap<>();
		paramTexts.forEach((name, text) -> {
			String key = name.strip();
			if (ChatRequest.RESERVED.contains(key)) {
				throw new PromptbatchCommand.UsageException("--param " + key + ": set this with its own option "
						+ "(--model, --max-tokens, --temperature, --stream) or in the input");
			}
			JsonNode value;
			try {
				value = JSON.readTree(text);
			}
			catch (JacksonException e) {
				value = null;
			}
			params.put(key, value == null || value.isMissingNode() ? JSON.getNodeFactory().stringNode(text) : value);
		});
		return params;
	}
}
