package io.promptbatch.batch.fanout;

import io.promptbatch.batch.CacheMode;
import io.promptbatch.batch.journal.ResponseJournal;
import io.promptbatch.core.chat.ChatRequest;
import io.promptbatch.core.client.NonRetriableChatException;
import io.promptbatch.core.client.RequestBody;
import io.promptbatch.core.cost.PriceTable;
import io.promptbatch.core.prompt.Prompt;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * What is already known of a row before anything is sent: its request and the request's fingerprint (base URL and
 * canonical body), and what the journal holds for that fingerprint: an answer this run already paid for, or an
 * earlier run's answer to the same request (the cache). With {@code --cache-only} a row the cache does not hold is
 * not sent; nor is a request that cannot be built, or one whose prompt cannot fit the model's context window. Used
 * by the read-ahead thread only.
 */
public final class RowResolver {

	/**
	 * A prompt's request and fingerprint, or the row it settles into without a request.
	 * @param prompt the input record
	 * @param request what to send, or null when it could not be built
	 * @param body the request's canonical body, or null when it could not be built
	 * @param fingerprint the journal's key of the request, or null when it could not be built
	 * @param settled the row, when no request is to be sent for it; null when one is
	 */
	public record Resolved(Prompt prompt, @Nullable ChatRequest request, byte @Nullable [] body,
			@Nullable String fingerprint, @Nullable AnswerRow settled) {
	}

	private final RequestFactory requests;
	private final String endpoint;
	private final ResponseJournal journal;
	private final long runId;
	private final CacheMode cache;
	private final ContextWindow contextWindow;
	private final RowFinisher finisher;
	private boolean lookups = true;

	/**
	 * @param requests turns a prompt into a request
	 * @param endpoint the run's recorded base URL, part of each request's fingerprint
	 * @param journal every answer recorded, of this run and earlier ones
	 * @param runId the job instance, the journal's key together with the request fingerprint
	 * @param cache how earlier runs' answers to the same requests are used
	 * @param prices the run's prices, which know the models' context windows
	 * @param finisher prices and scores an answer found in the journal
	 */
	public RowResolver(RequestFactory requests, String endpoint, ResponseJournal journal, long runId, CacheMode cache,
			PriceTable prices, RowFinisher finisher) {
		this.requests = requests;
		this.endpoint = endpoint;
		this.journal = journal;
		this.runId = runId;
		this.cache = cache;
		this.contextWindow = new ContextWindow(prices);
		this.finisher = finisher;
	}

	/** Looks once whether the journal holds anything: with nothing to find, rows are not looked up one by one. */
	public void open() {
		lookups = cache == CacheMode.ONLY || journal.any();
	}

	/**
	 * The row's request, or the row it settles into.
	 * @throws RuntimeException when the journal cannot be read
	 */
	public Resolved resolve(Prompt prompt) {
		ChatRequest request;
		byte[] body;
		String fingerprint;
		try {
			request = requests.requestFor(prompt);
			body = RequestBody.of(request);
			fingerprint = RequestBody.fingerprint(endpoint, body);
		}
		catch (RuntimeException e) {
			return new Resolved(prompt, null, null, null, new AnswerRow(prompt, requests.modelFor(prompt), null, null, 0,
					0, new NonRetriableChatException(0, "bad_request", "cannot build the request: " + e.getMessage(),
							null, e)));
		}
		Optional<ResponseJournal.Entry> found = lookups
				? journal.find(runId, fingerprint, cache != CacheMode.BYPASS) : Optional.empty();
		if (found.isPresent()) {
			ResponseJournal.Entry e = found.get();
			return new Resolved(prompt, request, body, fingerprint,
					finisher.journaled(prompt, request, fingerprint, e, e.runId() == runId));
		}
		if (cache == CacheMode.ONLY) {
			return new Resolved(prompt, request, body, fingerprint, new AnswerRow(prompt, request.model(), null, null,
					0, 0, new NonRetriableChatException(0, "not_cached",
							"no answer to this request in the cache (--cache-only); run without --cache-only to send it",
							null, null)));
		}
		NonRetriableChatException tooLong = contextWindow.check(request);
		if (tooLong != null) {
			return new Resolved(prompt, request, body, fingerprint, new AnswerRow(prompt, request.model(), null, null, 0,
					0, tooLong));
		}
		return new Resolved(prompt, request, body, fingerprint, null);
	}
}
