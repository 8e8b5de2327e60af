package io.promptbatch.batch.fanout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.promptbatch.core.client.ChatOutcome;
import io.promptbatch.core.chat.ChatRequest;
import io.promptbatch.core.client.FatalChatException;
import io.promptbatch.core.client.RequestBody;
import io.promptbatch.core.cost.PriceTable;
import io.promptbatch.core.limit.ConcurrencyLimit;
import io.promptbatch.core.prompt.Prompt;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class WindowDispatcherTests {

	private final PriceTable prices = Fixtures.prices();

	private final Halt halt = Fixtures.halt();

	/** Fingerprints recorded, in the order their answers arrived. */
	private final List<String> recorded = new CopyOnWriteArrayList<>();

	private final Dispatcher.Recorder recordAtOnce = (fingerprint, response, attempts, latency) -> {
		recorded.add(fingerprint);
		return CompletableFuture.completedFuture(null);
	};

	@Test
	void keepsNewRequestsGoingWhileOneSlowAnswerHoldsBackTheOutput() throws Exception {
		// given: concurrency 4, a buffer of 16, and the first row's answer held back
		HeldSender sender = new HeldSender(r -> r.messages().get(0).content().equals("question 0"),
				HeldSender::answerTo);
		WindowDispatcher dispatcher = dispatcher(sender, 4, 16, recordAtOnce);

		// when: ten rows are taken
		CompletableFuture<Void> feed = Fixtures.feed(dispatcher, 10);

		// then: all ten were sent, with only the slow one in flight, and none is handed out before it
		await().atMost(Duration.ofSeconds(5)).until(() -> sender.calls.size() == 10);
		feed.get(5, TimeUnit.SECONDS);
		assertThat(dispatcher.inFlight()).isEqualTo(1);
		assertThat(dispatcher.awaitNext(50, TimeUnit.MILLISECONDS)).isFalse();

		// when: the slow answer arrives
		sender.calls.get(0).outcome().complete(HeldSender.answerTo(sender.calls.get(0).request()));

		// then: all ten in input order, each recorded once
		assertThat(Fixtures.ids(Fixtures.drain(dispatcher))).containsExactly("r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9");
		assertThat(recorded).hasSize(10).doesNotHaveDuplicates();
		assertThat(dispatcher.inFlight()).isZero();
	}

	@Test
	void neverHasMoreThanTheConcurrencyInFlight() throws Exception {
		// given: concurrency 3, every answer held back
		HeldSender sender = new HeldSender(r -> true, HeldSender::answerTo);
		WindowDispatcher dispatcher = dispatcher(sender, 3, 16, recordAtOnce);

		// when
		Fixtures.feed(dispatcher, 10);

		// then: three sent, and no fourth while they are out
		await().atMost(Duration.ofSeconds(5)).until(() -> sender.calls.size() == 3);
		Thread.sleep(150);
		assertThat(sender.calls).hasSize(3);
		assertThat(dispatcher.inFlight()).isEqualTo(3);

		// when: one answer arrives
		sender.calls.get(1).outcome().complete(HeldSender.answerTo(sender.calls.get(1).request()));

		// then: exactly one more is sent
		await().atMost(Duration.ofSeconds(5)).until(() -> sender.calls.size() == 4);
		Thread.sleep(150);
		assertThat(sender.calls).hasSize(4);
	}

	@Test
	void freesASlotOnlyOnceTheAnswerIsRecorded() throws Exception {
		// given: concurrency 1 and a journal that takes its time
		List<CompletableFuture<Void>> durable = new CopyOnWriteArrayList<>();
		Dispatcher.Recorder slowJournal = (fingerprint, response, attempts, latency) -> {
			CompletableFuture<Void> done = new CompletableFuture<>();
			durable.add(done);
			return done;
		};
		HeldSender sender = HeldSender.answering();
		WindowDispatcher dispatcher = dispatcher(sender, 1, 4, slowJournal);

		// when: two rows; the first is answered at once, its answer not yet durable
		Fixtures.feed(dispatcher, 2);
		await().atMost(Duration.ofSeconds(5)).until(() -> durable.size() == 1);
		Thread.sleep(150);

		// then: its slot is still held, so the second is not sent, and the row is not handed out
		assertThat(sender.calls).hasSize(1);
		assertThat(dispatcher.inFlight()).isEqualTo(1);
		assertThat(dispatcher.awaitNext(10, TimeUnit.MILLISECONDS)).isFalse();

		// when: the answer is durable
		durable.get(0).complete(null);

		// then: the row is handed out and the second request sent
		await().atMost(Duration.ofSeconds(5)).until(() -> sender.calls.size() == 2);
		assertThat(dispatcher.awaitNext(1, TimeUnit.SECONDS)).isTrue();
		assertThat(dispatcher.next().prompt().id()).isEqualTo("r0");
	}

	@Test
	void takesNoMoreRowsOnceAFailureDoomsTheRun() throws Exception {
		// given: a server that refuses the key
		FatalChatException refused = new FatalChatException(401, "invalid_token", "the key was refused", null, null);
		HeldSender sender = new HeldSender(r -> false, r -> new ChatOutcome.Failed(refused, 1, 2));
		WindowDispatcher dispatcher = dispatcher(sender, 1, 4, recordAtOnce);

		// when
		CompletableFuture<Void> feed = Fixtures.feed(dispatcher, 10);
		feed.get(5, TimeUnit.SECONDS);

		// then: the first row failed, was not recorded, and no other was sent
		assertThat(sender.calls).hasSize(1);
		assertThat(recorded).isEmpty();
		List<AnswerRow> rows = Fixtures.drain(dispatcher);
		assertThat(rows).hasSize(1);
		assertThat(rows.get(0).fatal()).isSameAs(refused);
		assertThat(dispatcher.room()).isFalse();
	}

	@Test
	void sendsNoRequestThatCouldCrossTheBudget() throws Exception {
		// given: a budget below one request's worst case
		RowFinisher finisher = new RowFinisher(prices, null, new BigDecimal("0.0001"), 100, halt);
		finisher.open(BigDecimal.ZERO);
		HeldSender sender = HeldSender.answering();
		WindowDispatcher dispatcher = new WindowDispatcher(sender, ConcurrencyLimit.fixed(2), 4, recordAtOnce,
				finisher, halt);

		// when
		assertThat(dispatcher.room()).isTrue();
		boolean sent = dispatcher.send(Fixtures.resolved(0));

		// then
		assertThat(sent).isFalse();
		assertThat(sender.calls).isEmpty();
		assertThat(halt.budgetReached()).isTrue();
		assertThat(dispatcher.inFlight()).isZero();
	}

	@Test
	void theSenderIsGivenTheFingerprintTheRowWasResolvedWith() throws Exception {
		// given
		HeldSender sender = HeldSender.answering();
		WindowDispatcher dispatcher = dispatcher(sender, 2, 4, recordAtOnce);
		RowResolver.Resolved row = Fixtures.resolved(3);
		// when
		assertThat(dispatcher.room()).isTrue();
		dispatcher.send(row);
		// then: the sender and the journal have the row's own fingerprint, computed once by the resolver
		assertThat(sender.calls).extracting(HeldSender.Call::fingerprint).containsExactly(row.fingerprint());
		await().atMost(Duration.ofSeconds(5)).until(() -> recorded.size() == 1);
		assertThat(recorded).containsExactly(row.fingerprint());
	}

	@Test
	void closingItClosesTheSender() {
		HeldSender sender = HeldSender.answering();
		dispatcher(sender, 1, 1, recordAtOnce).close();
		assertThat(sender.closed).isTrue();
	}

	private WindowDispatcher dispatcher(HeldSender sender, int concurrency, int buffer, Dispatcher.Recorder recorder) {
		return new WindowDispatcher(sender, ConcurrencyLimit.fixed(concurrency), buffer, recorder,
				new RowFinisher(prices, null, null, null, halt), halt);
	}
}
