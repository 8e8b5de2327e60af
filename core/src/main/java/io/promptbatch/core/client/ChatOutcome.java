package io.promptbatch.core.client;

/**
 * What became of one request after all its attempts.
 */
public sealed interface ChatOutcome {

	/** Attempts made, 1 for a first-time success; 0 when the answer came from the journal. */
	int attempts();

	/** Time from the first attempt to the outcome, including backoff, in milliseconds. */
	long latencyMillis();

	/** The request was answered. */
	record Answered(ChatResponse response, int attempts, long latencyMillis) implements ChatOutcome {
	}

	/** The request failed for good; {@code error} says why. */
	record Failed(ChatException error, int attempts, long latencyMillis) implements ChatOutcome {
	}
}
