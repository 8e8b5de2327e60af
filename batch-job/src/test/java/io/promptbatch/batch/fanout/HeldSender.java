package io.promptbatch.batch.fanout;

import io.promptbatch.core.client.ChatOutcome;
import io.promptbatch.core.chat.ChatRequest;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * A sender for the dispatcher's tests: it answers each request with what {@code answer} says, at once, unless
 * {@code held} holds it back until the test completes it. It counts what it was sent, as a server would.
 */
final class HeldSender implements WindowDispatcher.Sender {

	/** One request, the fingerprint it was sent with, and its outcome, complete once answered. */
	record Call(ChatRequest request, String fingerprint, CompletableFuture<ChatOutcome> outcome) {

		String content() {
			return request.messages().get(request.messages().size() - 1).content();
		}
	}

	final List<Call> calls = new CopyOnWriteArrayList<>();
	private final Predicate<ChatRequest> held;
	private final Function<ChatRequest, ChatOutcome> answer;
	volatile boolean closed;

	HeldSender(Predicate<ChatRequest> held, Function<ChatRequest, ChatOutcome> answer) {
		this.held = held;
		this.answer = answer;
	}

	/** Answers every request at once, "answer to" its last message. */
	static HeldSender answering() {
		return new HeldSender(r -> false, HeldSender::answerTo);
	}

	static ChatOutcome answerTo(ChatRequest request) {
		String content = request.messages().get(request.messages().size() - 1).content();
		return new ChatOutcome.Answered(Fixtures.answer("answer to " + content, 5), 1, 3);
	}

	@Override
	public CompletableFuture<ChatOutcome> send(ChatRequest request, byte[] body, String fingerprint) {
		Call call = new Call(request, fingerprint, new CompletableFuture<>());
		calls.add(call);
		if (!held.test(request)) {
			call.outcome().complete(answer.apply(request));
		}
		return call.outcome();
	}

	@Override
	public void close() {
		closed = true;
	}
}
