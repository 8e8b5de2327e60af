package io.promptbatch.simulator;

/**
 * The answer to one chat request: its HTTP status and its JSON body.
 *
 * @param status the HTTP status, 200 for a completion
 * @param body the JSON body: the completion, or an error
 */
record ChatOutcome(int status, String body) {
}
