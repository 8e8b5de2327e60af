package io.promptbatch.simulator;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.zip.CRC32;
import tools.jackson.databind.json.JsonMapper;

/**
 * The simulator's deterministic answers: the same messages always give the same answer and the
 * same token counts, so that tests can check every output row against what the server said.
 */
public final class SimulatedAnswers {

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private SimulatedAnswers() {
	}

	/** The answer to a conversation whose only user message is {@code prompt}. */
	public static String answerFor(String prompt) {
		return answerFor(prompt, 1);
	}

	/**
	 * The answer to a conversation whose last user message is {@code prompt}, its {@code userTurn}th user
	 * message: later turns say which turn they answer.
	 */
	public static String answerFor(String prompt, int userTurn) {
		String head = prompt.strip().replaceAll("\\s+", " ");
		if (head.length() > 80) {
			head = head.substring(0, 80) + "...";
		}
		return "Simulated answer " + fingerprint(prompt) + (userTurn > 1 ? " (turn " + userTurn + ")" : "") + " to: "
				+ head;
	}

	/**
	 * The answer to a conversation that ends with the assistant's text {@code prefix} (Kimi's partial
	 * mode): only what the model adds to it, as a server that continues the text returns it.
	 */
	public static String continuationFor(String prefix) {
		return " and the simulated text " + fingerprint(prefix) + " goes on from there.";
	}

	/** The answer in JSON mode ({@code response_format} {@code json_object} or {@code json_schema}). */
	public static String jsonAnswerFor(String answer) {
		return "{\"answer\": " + JSON.writeValueAsString(answer) + "}";
	}

	/** The reasoning a thinking model gives before {@link #answerFor(String)}. */
	public static String reasoningFor(String prompt) {
		return "Considering request " + fingerprint(prompt) + " step by step.";
	}

	/** Prompt tokens the simulator reports for these message contents: about one per four characters. */
	public static int promptTokensFor(List<String> contents) {
		int tokens = 3;
		for (String content : contents) {
			tokens += 4 + (content.length() + 3) / 4;
		}
		return tokens;
	}

	/** Completion tokens the simulator reports for an answer: one per word-ish piece. */
	public static int completionTokensFor(String answer) {
		return pieces(answer).length;
	}

	/**
	 * The answer made exactly {@code tokens} completion tokens long: cut after its first {@code tokens}
	 * pieces, or followed by the filler word {@code more} until it has them.
	 */
	public static String ofTokens(String answer, int tokens) {
		String[] pieces = pieces(answer);
		if (pieces.length >= tokens) {
			return String.join("", java.util.Arrays.copyOf(pieces, tokens)).stripTrailing();
		}
		return answer + " more".repeat(tokens - pieces.length);
	}

	static String[] pieces(String answer) {
		return answer.split("(?<= )");
	}

	static String fingerprint(String prompt) {
		CRC32 crc = new CRC32();
		crc.update(prompt.getBytes(StandardCharsets.UTF_8));
		return String.format("%08x", crc.getValue());
	}
}
