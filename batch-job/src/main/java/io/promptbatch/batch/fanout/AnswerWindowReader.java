package io.promptbatch.batch.fanout;

import io.promptbatch.batch.CacheMode;
import io.promptbatch.batch.journal.ResponseJournal;
import io.promptbatch.core.client.ChatClient;
import io.promptbatch.core.client.ChatException;
import io.promptbatch.core.client.ChatOutcome;
import io.promptbatch.core.chat.ChatRequest;
import io.promptbatch.core.client.FatalChatException;
import io.promptbatch.core.client.NonRetriableChatException;
import io.promptbatch.core.client.RequestBody;
import io.promptbatch.core.cost.PriceTable;
import io.promptbatch.core.limit.ConcurrencyLimit;
import io.promptbatch.core.prompt.Prompt;
import io.promptbatch.core.prompt.PromptReader;
import io.promptbatch.core.provider.MaxTokensField;
import io.promptbatch.core.score.Scorer;
import java.math.BigDecimal;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import io.promptbatch.batch.StopSignal;
import org.springframework.batch.infrastructure.item.ExecutionContext;
import org.springframework.batch.infrastructure.item.ItemStreamException;
import org.springframework.batch.infrastructure.item.ItemStreamReader;

/**
 * The fan-out stage, as a reader. A dispatcher thread reads prompts ahead of the chunk and keeps
 * {@code concurrency} requests in flight at all times, across chunk boundaries; {@link #read()} hands
 * back the answers in input order. The window of dispatched-but-unread rows is bounded by a reorder
 * buffer larger than the concurrency, so one slow answer holds back the output but not new requests,
 * and memory stays flat however large the input.
 *
 * <p>Restart: {@link #update} records how many rows were handed out, which the chunk commit makes
 * equal to the rows durably written; {@link #open} skips that many records. Every answer is recorded in
 * the {@link ResponseJournal} as it arrives, and looked up before sending, so answers that arrived
 * after the last commit are not paid for again.
 *
 * <p>A failure that dooms every row ({@link FatalChatException}) stops dispatching at once; rows ahead
 * of it are handed out, then {@link #read()} throws {@link RunStoppedException}.
 *
 * <p>An answer with more completion tokens than the cap its request sent shows that the server ignores the
 * field the cap was sent in: no cap, and no budget, holds for the rows after it. Dispatching stops at once;
 * the answers already paid for, that one included, are handed out and written as they came (they were
 * paid for); then the reader ends early ({@value #CAP_IGNORED}), resumably, with a sentence that names the
 * field ({@link #STOP_DETAIL}).
 */
public final class AnswerWindowReader implements ItemStreamReader<AnswerRow> {

	/** Execution-context key: rows handed out, equal to rows written at each commit. */
	public static final String ROWS_DONE = "fanout.rows.done";

	/** Execution-context key: why the reader ended early ({@value #BUDGET}), when it did for a reason of its own. */
	public static final String STOP_REASON = "fanout.stop.reason";

	/** The column or field that holds the value an answer is scored against. */
	public static final String EXPECTED = "expected";

	/** The stop reason when the next request could have crossed the budget. */
	public static final String BUDGET = "budget";

	/** The stop reason when an answer was longer than the cap its request sent: the server ignores the field. */
	public static final String CAP_IGNORED = "cap.ignored";

	/** Execution-context key: the sentence that says why the reader ended early, for {@value #CAP_IGNORED}. */
	public static final String STOP_DETAIL = "fanout.stop.detail";

	private static final Logger log = LoggerFactory.getLogger(AnswerWindowReader.class);

	private final Supplier<PromptReader> prompts;
	private final ChatClient client;
	private final String endpoint;
	private final RequestFactory requests;
	private final ResponseJournal journal;
	private final PriceTable prices;

	private final ContextWindow contextWindow;
	private final long runId;
	private final int concurrency;
	private final int bufferSize;
	private final long from;
	private final long to;
	private final StopSignal stop;
	private final Runnable onStopped;
	private final @Nullable BigDecimal budgetLimit;
	private final CacheMode cache;
	private final @Nullable Scorer scorer;
	private @Nullable Budget budget;
	private volatile boolean budgetReached;

	private final BlockingQueue<Slot> window = new LinkedBlockingQueue<>();
	private final AtomicReference<@Nullable FatalChatException> fatal = new AtomicReference<>();
	private final AtomicReference<@Nullable String> capIgnored = new AtomicReference<>();
	private final ConcurrencyLimit inFlight;
	private final Semaphore bufferSlots;
	private volatile boolean stopping;
	private @Nullable Thread dispatcher;
	private @Nullable PromptReader reader;
	private volatile long done;
	private boolean lookups;
	private boolean exhausted;

	/**
	 * @param prompts opens the input (called once, when the stream opens)
	 * @param client the client, owned by this reader from now on: closed with it
	 * @param endpoint the run's recorded base URL, part of each request's journal fingerprint
	 * @param requests turns a prompt into a request
	 * @param runId the job instance, the journal's key together with the request fingerprint
	 * @param concurrency requests in flight at most (the most an adaptive limit may reach)
	 * @param limit how many requests may be in flight now: fixed at {@code concurrency}, or adaptive
	 * @param bufferSize rows dispatched but not yet handed out, at most; larger than {@code concurrency}
	 * @param from first record of the range (0-based)
	 * @param to end of the range, exclusive
	 * @param stop a graceful stop request: dispatching ends, answers in flight are handed out within
	 *     the grace time, then the reader ends early
	 * @param onStopped called once when the reader ends early because of {@code stop} or the budget
	 *     (marks the step to end as STOPPED rather than COMPLETED)
	 * @param budgetLimit the run's spending limit in USD, or null
	 * @param cache how earlier runs' answers to the same requests are used
	 * @param scorer scores answers against the records' {@code expected} values, or null
	 */
	public AnswerWindowReader(Supplier<PromptReader> prompts, ChatClient client, String endpoint, RequestFactory requests,
			ResponseJournal journal, PriceTable prices, long runId, int concurrency, ConcurrencyLimit limit,
			int bufferSize, long from, long to, StopSignal stop, Runnable onStopped, @Nullable BigDecimal budgetLimit,
			CacheMode cache, @Nullable Scorer scorer) {
		if (concurrency < 1) {
			throw new IllegalArgumentException("concurrency must be at least 1, was " + concurrency);
		}
		if (bufferSize < concurrency) {
			throw new IllegalArgumentException("reorder buffer (" + bufferSize + ") must be at least the concurrency ("
					+ concurrency + ")");
		}
		this.prompts = prompts;
		this.client = client;
		this.endpoint = endpoint;
		this.requests = requests;
		this.journal = journal;
		this.prices = prices;
		this.contextWindow = new ContextWindow(prices);
		this.runId = runId;
		this.concurrency = concurrency;
		this.bufferSize = bufferSize;
		this.from = from;
		this.to = to;
		this.stop = stop;
		this.onStopped = onStopped;
		this.budgetLimit = budgetLimit;
		this.cache = cache;
		this.scorer = scorer;
		if (budgetLimit != null && requests.maxTokens() == null) {
			throw new IllegalArgumentException("a budget needs a completion token limit (max tokens)");
		}
		this.inFlight = limit;
		this.bufferSlots = new Semaphore(bufferSize);
	}

	@Override
	public void open(ExecutionContext context) throws ItemStreamException {
		done = context.getLong(ROWS_DONE, 0L);
		// with nothing to find (an empty state database), skip the per-row lookups on the hot path
		lookups = cache == CacheMode.ONLY || journal.any();
		context.remove(STOP_REASON);
		context.remove(STOP_DETAIL);
		if (budgetLimit != null) {
			budget = new Budget(budgetLimit, prices, io.promptbatch.batch.output.RunTotals.from(context).costUsd());
		}
		PromptReader opened = prompts.get();
		this.reader = opened;
		long skip = from + done;
		long skipped = opened.skip(skip);
		if (done > 0) {
			log.info("Resuming after {} rows already written", done);
		}
		long limit = Math.max(0, Math.min(to, Long.MAX_VALUE - 1) - from - done);
		if (skipped < skip) {
			limit = 0;
		}
		long rowsToDispatch = limit;
		Thread t = new Thread(() -> dispatch(opened, rowsToDispatch), "promptbatch-dispatcher");
		t.setDaemon(true);
		this.dispatcher = t;
		t.start();
	}

	private void dispatch(PromptReader source, long limit) {
		long remaining = limit;
		try {
			while (remaining > 0 && !stopping && !stop.requested()) {
				bufferSlots.acquire();
				if (stopping || stop.requested() || halted()) {
					bufferSlots.release();
					break;
				}
				Prompt prompt;
				try {
					prompt = source.read();
				}
				catch (RuntimeException e) {
					window.put(Slot.failure(e));
					return;
				}
				if (prompt == null) {
					bufferSlots.release();
					break;
				}
				Prepared prepared;
				try {
					prepared = prepare(prompt);
				}
				catch (RuntimeException e) {
					// the journal could not be read: the step fails, resumably, rather than the reader waiting for
					// a row that never comes
					window.put(Slot.failure(e));
					return;
				}
				if (prepared.settled() != null) {
					// answered from the journal or the cache, or not sendable: no request, no slot, no budget
					remaining--;
					window.put(new Slot(CompletableFuture.completedFuture(prepared.settled()), null));
					continue;
				}
				inFlight.acquire();
				if (stopping || stop.requested() || halted()) {
					inFlight.release();
					bufferSlots.release();
					break;
				}
				BigDecimal worst = BigDecimal.ZERO;
				if (budget != null) {
					try {
						worst = budget.worstCase(prepared.request().model(), prompt.messages(),
								prepared.request().maxTokens());
					}
					catch (RuntimeException e) {
						inFlight.release();
						remaining--;
						window.put(new Slot(CompletableFuture.completedFuture(new AnswerRow(prompt,
								prepared.request().model(), null, null, 0, 0, new NonRetriableChatException(0,
										"no_price", "cannot bound this request's cost under --budget-usd: "
												+ e.getMessage(), null, e))), null));
						continue;
					}
					if (!budget.reserve(worst)) {
						budgetReached = true;
						inFlight.release();
						bufferSlots.release();
						log.warn("Budget: the next request could cost up to ${} and cross the budget of ${} (spent ${}); "
								+ "no more requests", worst.toPlainString(), budget.limit().toPlainString(),
								budget.spent().toPlainString());
						break;
					}
				}
				remaining--;
				CompletableFuture<AnswerRow> row = new CompletableFuture<>();
				window.put(new Slot(row, null));
				start(prompt, prepared, row, worst);
			}
			window.put(Slot.END);
		}
		catch (InterruptedException e) {
			Thread.currentThread().interrupt();
			window.offer(Slot.END);
		}
	}

	/** A failure that dooms every row, or an answer that shows the cap does not hold: no more requests. */
	private boolean halted() {
		return fatal.get() != null || capIgnored.get() != null;
	}

	/**
	 * A prompt's request and fingerprint, or the row it settles into without a request: an answer this run
	 * already paid for (journal), an earlier run's answer to the same request (cache), a miss with
	 * {@code --cache-only}, or a request that cannot be built.
	 */
	private record Prepared(@Nullable ChatRequest request, byte @Nullable [] body, @Nullable String fingerprint,
			@Nullable AnswerRow settled) {
	}

	private Prepared prepare(Prompt prompt) {
		ChatRequest request;
		byte[] body;
		String fingerprint;
		try {
			request = requests.requestFor(prompt);
			body = RequestBody.of(request);
			fingerprint = RequestBody.fingerprint(endpoint, body);
		}
		catch (RuntimeException e) {
			return new Prepared(null, null, null, new AnswerRow(prompt, requests.modelFor(prompt), null, null, 0, 0,
					new NonRetriableChatException(0, "bad_request", "cannot build the request: " + e.getMessage(), null,
							e)));
		}
		Optional<ResponseJournal.Entry> found = lookups
				? journal.find(runId, fingerprint, cache != CacheMode.BYPASS) : Optional.empty();
		if (found.isPresent()) {
			ResponseJournal.Entry e = found.get();
			AnswerRow row = e.runId() == runId
					? new AnswerRow(prompt, request.model(), e.response(), cost(request.model(), e.response()),
							e.latencyMillis(), e.attempts(), null)
					: new AnswerRow(prompt, request.model(), e.response(), BigDecimal.ZERO, 0, 0, null, true, null);
			return new Prepared(request, body, fingerprint, scored(row));
		}
		if (cache == CacheMode.ONLY) {
			return new Prepared(request, body, fingerprint, new AnswerRow(prompt, request.model(), null, null, 0, 0,
					new NonRetriableChatException(0, "not_cached",
							"no answer to this request in the cache (--cache-only); run without --cache-only to send it",
							null, null)));
		}
		NonRetriableChatException tooLong = contextWindow.check(request);
		if (tooLong != null) {
			return new Prepared(request, body, fingerprint, new AnswerRow(prompt, request.model(), null, null, 0, 0,
					tooLong));
		}
		return new Prepared(request, body, fingerprint, null);
	}

	private AnswerRow scored(AnswerRow row) {
		if (scorer == null || !row.ok()) {
			return row;
		}
		return row.withScore(scorer.score(row.response().content(), row.prompt().columns().get(EXPECTED)));
	}

	private void start(Prompt prompt, Prepared prepared, CompletableFuture<AnswerRow> unsettled, BigDecimal worst) {
		CompletableFuture<AnswerRow> row = unsettled;
		if (budget != null) {
			Budget b = budget;
			row = new CompletableFuture<>();
			row.whenComplete((r, e) -> {
				b.settle(worst, r == null || r.cost() == null ? BigDecimal.ZERO : r.cost());
				unsettled.complete(r);
			});
		}
		send(prompt, prepared.request(), prepared.body(), prepared.fingerprint(), row);
	}

	private void send(Prompt prompt, ChatRequest request, byte[] body, String fingerprint,
			CompletableFuture<AnswerRow> row) {
		client.send(request, body).whenComplete((outcome, failure) -> {
			AnswerRow done;
			try {
				done = scored(toRow(prompt, request, outcome));
			}
			catch (RuntimeException e) {
				done = new AnswerRow(prompt, request.model(), null, null, 0, 0, new NonRetriableChatException(0,
						"client_error", "unexpected failure: " + e, null, e));
			}
			AnswerRow answered = done;
			if (outcome instanceof ChatOutcome.Answered a) {
				checkCap(prompt, request, a.response().usage().completionTokens());
			}
			if (!(outcome instanceof ChatOutcome.Answered a)) {
				row.complete(answered);
				inFlight.release();
				return;
			}
			// the slot is released only once the answer is durable, so that a kill loses no more than the
			// requests in flight
			journal.record(runId, fingerprint, a.response(), a.attempts(), a.latencyMillis())
				.whenComplete((ok, journalFailure) -> {
					row.complete(answered);
					inFlight.release();
				});
		});
	}

	/** Stops dispatching when an answer is longer than the cap its request sent: the server ignored that field. */
	private void checkCap(Prompt prompt, ChatRequest request, long completionTokens) {
		Integer cap = request.maxTokens();
		if (cap == null || completionTokens <= cap) {
			return;
		}
		String message = capIgnoredMessage(prompt.id(), completionTokens, cap, request.maxTokensField());
		if (capIgnored.compareAndSet(null, message)) {
			log.error("Stopping the run: {}", message);
		}
	}

	/** What the user reads when the server answered past the cap: the field it ignored, and what to do. */
	static String capIgnoredMessage(String id, long completionTokens, int cap, MaxTokensField sentAs) {
		return String.format(java.util.Locale.ROOT, "row %s: the server answered %,d completion tokens for a cap of %,d "
				+ "sent as %s: it ignores that field; pass --max-tokens-field %s, then run the same command again (no more "
				+ "requests were sent; the answers already paid for, this one included, are kept)", id, completionTokens,
				cap, sentAs.wireName(), sentAs.other().wireName());
	}

	private AnswerRow toRow(Prompt prompt, ChatRequest request, ChatOutcome outcome) {
		if (outcome instanceof ChatOutcome.Answered a) {
			return new AnswerRow(prompt, request.model(), a.response(), cost(request.model(), a.response()),
					a.latencyMillis(), a.attempts(), null);
		}
		ChatOutcome.Failed f = (ChatOutcome.Failed) outcome;
		ChatException error = f.error();
		if (error instanceof FatalChatException fe && fatal.compareAndSet(null, fe)) {
			log.error("Stopping the run: {}", fe.describe());
		}
		return new AnswerRow(prompt, request.model(), null, null, f.latencyMillis(), f.attempts(), error);
	}

	private @Nullable BigDecimal cost(String model, io.promptbatch.core.client.ChatResponse response) {
		return prices.cost(model, response.usage()).orElse(null);
	}

	@Override
	public @Nullable AnswerRow read() throws Exception {
		if (exhausted) {
			return null;
		}
		Slot slot = next();
		if (slot == null) {
			// a stop was requested and the grace time is over: end early, resumably
			return endEarly();
		}
		if (slot == Slot.END) {
			exhausted = true;
			FatalChatException f = fatal.get();
			if (f != null) {
				throw new RunStoppedException(f);
			}
			if (stop.requested() || budgetReached || capIgnored.get() != null) {
				return endEarly();
			}
			if (stopping) {
				throw new IllegalStateException("the reader was closed while rows were still being read");
			}
			return null;
		}
		if (slot.failure != null) {
			exhausted = true;
			throw slot.failure;
		}
		AnswerRow row = await(slot.row);
		if (row == null) {
			return endEarly();
		}
		bufferSlots.release();
		FatalChatException f = row.fatal();
		if (f != null) {
			exhausted = true;
			throw new RunStoppedException(fatal.get() != null ? fatal.get() : f);
		}
		done++;
		return row;
	}

	private long stopDeadline;

	/** The next slot, or null when a stop is requested and none comes within the grace time. */
	private @Nullable Slot next() throws InterruptedException {
		if (!stop.requested()) {
			Slot slot = window.poll(200, TimeUnit.MILLISECONDS);
			while (slot == null && !stop.requested()) {
				slot = window.poll(200, TimeUnit.MILLISECONDS);
			}
			if (slot != null) {
				return slot;
			}
		}
		return window.poll(remainingGraceNanos(), TimeUnit.NANOSECONDS);
	}

	/** The row, or null when a stop is requested and it does not come within the grace time. */
	private @Nullable AnswerRow await(CompletableFuture<AnswerRow> row) throws InterruptedException {
		try {
			while (!stop.requested()) {
				try {
					return row.get(200, TimeUnit.MILLISECONDS);
				}
				catch (TimeoutException e) {
					// check the stop request again
				}
			}
			return row.get(remainingGraceNanos(), TimeUnit.NANOSECONDS);
		}
		catch (TimeoutException e) {
			return null;
		}
		catch (ExecutionException e) {
			throw new IllegalStateException("row future failed", e.getCause());
		}
	}

	private long remainingGraceNanos() {
		if (stopDeadline == 0) {
			stopDeadline = System.nanoTime() + stop.grace().toNanos();
			log.info("Stop requested: no new requests; waiting up to {} ms for {} answers in flight",
					stop.grace().toMillis(), inFlight.inFlight());
		}
		return Math.max(0, stopDeadline - System.nanoTime());
	}

	private @Nullable AnswerRow endEarly() {
		exhausted = true;
		log.info("Stopped after {} rows; the run can be resumed", done);
		onStopped.run();
		return null;
	}

	@Override
	public void update(ExecutionContext context) throws ItemStreamException {
		context.putLong(ROWS_DONE, done);
		String ignored = capIgnored.get();
		if (ignored != null) {
			context.putString(STOP_REASON, CAP_IGNORED);
			context.putString(STOP_DETAIL, ignored);
		}
		else if (budgetReached) {
			context.putString(STOP_REASON, BUDGET);
		}
	}

	@Override
	public void close() throws ItemStreamException {
		stopping = true;
		Thread t = dispatcher;
		if (t != null) {
			t.interrupt();
			try {
				t.join(5000);
				// let requests already sent land in the journal, so that a resume does not pay for them again
				if (!inFlight.awaitIdle(stop.requested() ? 5 : 30, TimeUnit.SECONDS)) {
					log.warn("{} requests were still in flight at close; their answers will be requested again on resume",
							inFlight.inFlight());
				}
			}
			catch (InterruptedException e) {
				Thread.currentThread().interrupt();
			}
		}
		PromptReader r = reader;
		if (r != null) {
			r.close();
		}
		client.close();
	}

	/** Requests in flight now (or waiting to retry). */
	public int inFlight() {
		return inFlight.inFlight();
	}

	/** Rows handed out so far, including those of earlier attempts of this run. */
	public long rowsDone() {
		return done;
	}

	private record Slot(CompletableFuture<AnswerRow> row, @Nullable RuntimeException failure) {

		static final Slot END = new Slot(new CompletableFuture<>(), null);

		static Slot failure(RuntimeException e) {
			return new Slot(new CompletableFuture<>(), e);
		}
	}
}
