package io.promptbatch.simulator;

import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * What the simulator answers a chat request, apart from faults, limits, latency and transport: the
 * completion, the refusals a request earns for itself, and the error bodies. The live endpoint
 * ({@link ChatSimulator}) and the Batch API's lines ({@link BatchApi}) both answer through it, so that a
 * batch's answers equal live ones.
 */
final class SimulatedChat {

	private final SimulatorConfig config;
	private final AtomicInteger ids = new AtomicInteger();
	private final JsonMapper json = JsonMapper.builder().build();

	SimulatedChat(SimulatorConfig config) {
		this.config = config;
	}

	/**
	 * The answer a chat request gets when it is neither faulted nor refused: the one code behind the live
	 * endpoint and the Batch API's lines, so that both answer the same body alike.
	 */
	SimulatedCompletion complete(JsonNode request, Conversation conversation) {
		String model = request.path("model").asString("simulated");
		boolean thinking = model.contains("thinking");
		JsonNode lastMessage = request.path("messages").path(request.path("messages").size() - 1);
		String answer = "assistant".equals(lastMessage.path("role").asString(""))
				? SimulatedAnswers.continuationFor(lastMessage.path("content").asString(""))
				: SimulatedAnswers.answerFor(conversation.lastUser(), conversation.userTurns());
		if (config.answerTokens > 0) {
			answer = SimulatedAnswers.ofTokens(answer, config.answerTokens);
		}
		String format = request.path("response_format").path("type").asString("text");
		if (format.equals("json_object") || format.equals("json_schema")) {
			answer = SimulatedAnswers.jsonAnswerFor(answer);
		}
		String[] pieces = SimulatedAnswers.pieces(answer);
		String reasoning = thinking ? SimulatedAnswers.reasoningFor(conversation.lastUser()) : null;
		// the cap counts the reasoning and the answer together, as the providers' caps do
		int cap = config.capFields.capOf(request);
		boolean truncated = false;
		if (cap > 0 && reasoning != null && SimulatedAnswers.completionTokensFor(reasoning) > cap) {
			reasoning = String.join("", java.util.Arrays.copyOf(SimulatedAnswers.pieces(reasoning), cap));
		}
		int room = cap - (reasoning == null ? 0 : SimulatedAnswers.completionTokensFor(reasoning));
		if (cap > 0 && pieces.length > room) {
			answer = String.join("", java.util.Arrays.copyOf(pieces, room));
			truncated = true;
		}
		return new SimulatedCompletion(request, "chatcmpl-sim-" + ids.incrementAndGet(), model,
				conversation.lastUser(), answer, truncated, reasoning, SimulatedAnswers.promptTokensFor(conversation.contents()));
	}

	/**
	 * The answer the live endpoint gives a request when no fault, limit or key check intervenes: 400 for no
	 * messages, the status a {@code [[sim:status=N]]} directive asks for, else the completion. The Batch
	 * API answers each line with it.
	 */
	ChatOutcome answer(JsonNode request) {
		Conversation conversation = Conversation.of(request);
		if (conversation.contents().isEmpty()) {
			return new ChatOutcome(400, noMessages());
		}
		int directed = conversation.directedStatus();
		if (directed > 0) {
			return new ChatOutcome(directed, directedError(directed));
		}
		return new ChatOutcome(200, json.writeValueAsString(complete(request, conversation).body()));
	}

	/** The answer a 500 fault gets, on the live endpoint and in a batch alike. */
	String serverError() {
		return errorBody("api_error", "Internal server error");
	}

	String noMessages() {
		return errorBody("invalid_request", "messages must not be empty");
	}

	String directedError(int status) {
		return errorBody("simulated_" + status, "Simulated status " + status);
	}

	/** An error body in Ace Data Cloud's shape. */
	String errorBody(String code, String message) {
		ObjectNode body = json.createObjectNode();
		body.put("success", false);
		ObjectNode error = body.putObject("error");
		error.put("code", code);
		error.put("message", message);
		body.put("trace_id", UUID.randomUUID().toString());
		return json.writeValueAsString(body);
	}
}
