package io.promptbatch.batch.fanout;

import io.promptbatch.core.prompt.Prompt;
import org.jspecify.annotations.Nullable;

/**
 * Takes each prompt the source reads to the resolver, then to the dispatcher: as a row already settled (the journal
 * or the cache holds its answer, or it is not to be sent), or as a request to send. On the read-ahead thread, with no
 * queue between the parts.
 */
final class RowFeed implements PromptSource.Sink {

	private final RowResolver resolver;
	private final Dispatcher dispatcher;

	RowFeed(RowResolver resolver, Dispatcher dispatcher) {
		this.resolver = resolver;
		this.dispatcher = dispatcher;
	}

	/** Looks once whether the journal holds anything (see {@link RowResolver#open()}). */
	void open() {
		resolver.open();
	}

	@Override
	public boolean room() throws InterruptedException {
		return dispatcher.room();
	}

	@Override
	public boolean take(Prompt prompt) throws InterruptedException {
		RowResolver.Resolved row = resolver.resolve(prompt);
		AnswerRow settled = row.settled();
		if (settled != null) {
			// answered from the journal or the cache, or not sendable: no request, no slot, no budget
			dispatcher.settled(settled);
			return true;
		}
		return dispatcher.send(row);
	}

	@Override
	public void end(@Nullable RuntimeException failure) {
		dispatcher.end(failure);
	}
}
