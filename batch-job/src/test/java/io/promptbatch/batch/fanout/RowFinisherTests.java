package io.promptbatch.batch.fanout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.promptbatch.core.client.ChatOutcome;
import io.promptbatch.core.chat.ChatRequest;
import io.promptbatch.core.client.FatalChatException;
import io.promptbatch.core.client.NonRetriableChatException;
import io.promptbatch.core.cost.PriceTable;
import io.promptbatch.core.prompt.Prompt;
import io.promptbatch.core.score.Scorer;
import java.math.BigDecimal;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RowFinisherTests {

	private final PriceTable prices = Fixtures.prices();

	private final Halt halt = Fixtures.halt();

	private final RequestFactory requests = new RequestFactory(Fixtures.TINY, 100, null);

	@Test
	void pricesAndScoresAnAnsweredRow() {
		// given: a row expecting "Paris", answered "Paris" with 10 prompt and 40 completion tokens
		RowFinisher finisher = new RowFinisher(prices, Scorer.EXACT, null, null, halt);
		Prompt prompt = Fixtures.prompt(1, Map.of("expected", "Paris"));
		ChatRequest request = requests.requestFor(prompt);

		// when
		AnswerRow row = finisher.finish(prompt, request,
				new ChatOutcome.Answered(Fixtures.answer("Paris", 40), 2, 300), null, BigDecimal.ZERO);

		// then: $1/M x 10 + $2/M x 40 = $0.00009, scored 1, attempts and latency kept
		assertThat(row.ok()).isTrue();
		assertThat(row.cost()).isEqualByComparingTo("0.00009");
		assertThat(row.score()).isEqualTo(1);
		assertThat(row.attempts()).isEqualTo(2);
		assertThat(row.latencyMillis()).isEqualTo(300);
		assertThat(halt.takesMore()).isTrue();
	}

	@Test
	void aFailureThatDoomsEveryRowHaltsTheRun() {
		// given
		RowFinisher finisher = new RowFinisher(prices, null, null, null, halt);
		Prompt prompt = Fixtures.prompt(1);
		FatalChatException unauthorized = new FatalChatException(401, "invalid_token", "the key was refused", null,
				null);

		// when
		AnswerRow row = finisher.finish(prompt, requests.requestFor(prompt),
				new ChatOutcome.Failed(unauthorized, 1, 20), null, BigDecimal.ZERO);

		// then
		assertThat(row.fatal()).isSameAs(unauthorized);
		assertThat(halt.fatal()).isSameAs(unauthorized);
		assertThat(halt.takesMore()).isFalse();
	}

	@Test
	void anAnswerLongerThanItsCapHaltsTheRunNamingTheFieldItWasSentIn() {
		// given: a cap of 100
		RowFinisher finisher = new RowFinisher(prices, null, null, null, halt);
		Prompt prompt = Fixtures.prompt(7);
		ChatRequest request = requests.requestFor(prompt);

		// when: one answer within the cap, one of 2,400 tokens
		finisher.finish(prompt, request, new ChatOutcome.Answered(Fixtures.answer("short", 100), 1, 5), null,
				BigDecimal.ZERO);
		boolean afterShort = halt.takesMore();
		AnswerRow row = finisher.finish(prompt, request, new ChatOutcome.Answered(Fixtures.answer("long", 2400), 1, 5),
				null, BigDecimal.ZERO);

		// then: the long answer is kept (it was paid for), and no more rows are taken
		assertThat(afterShort).isTrue();
		assertThat(row.ok()).isTrue();
		assertThat(halt.takesMore()).isFalse();
		assertThat(halt.capIgnored()).startsWith("row r7: the server answered 2,400 completion tokens for a cap of 100 "
				+ "sent as " + request.maxTokensField().wireName());
	}

	@Test
	void refusesTheRequestWhoseWorstCaseCouldCrossTheBudgetAndSettlesToTheActualCost() {
		// given: a budget of $0.00050 and requests whose worst case is $0.000234 (34 prompt tokens at most: 10 bytes and
		// the format's overhead; 100 completion tokens)
		RowFinisher finisher = new RowFinisher(prices, null, new BigDecimal("0.00050"), 100, halt);
		finisher.open(BigDecimal.ZERO);
		Prompt prompt = Fixtures.prompt(1);
		ChatRequest request = requests.requestFor(prompt);

		// when: two reservations fit, a third could cross the budget
		BigDecimal first = finisher.reserve(prompt, request);
		BigDecimal second = finisher.reserve(prompt, request);
		BigDecimal third = finisher.reserve(prompt, request);

		// then
		assertThat(first).isPositive();
		assertThat(second).isEqualByComparingTo(first);
		assertThat(third).isNull();
		assertThat(halt.budgetReached()).isTrue();

		// when: the first answer cost less than its worst case
		finisher.finish(prompt, request, new ChatOutcome.Answered(Fixtures.answer("a", 5), 1, 5), null, first);

		// then: its reservation is replaced by its cost, so another request fits
		assertThat(finisher.reserve(prompt, request)).isEqualByComparingTo(first);
	}

	@Test
	void anAnswerThisRunPaidForAndTakesFromTheJournalCountsAgainstTheBudget() {
		// given: room for two worst cases ($0.000234 each) under $0.00050
		RowFinisher finisher = new RowFinisher(prices, null, new BigDecimal("0.00050"), 100, halt);
		finisher.open(BigDecimal.ZERO);
		Prompt prompt = Fixtures.prompt(1);
		ChatRequest request = requests.requestFor(prompt);
		ChatOutcome.Answered paid = new ChatOutcome.Answered(Fixtures.answer("a", 100), 1, 5);

		// when: this run's own answer comes back from the journal (paid after its last commit), and an earlier
		// run's (the cache, paid by that run)
		AnswerRow own = finisher.journaled(prompt, request, "fingerprint",
				new io.promptbatch.batch.journal.ResponseJournal.Entry(7, paid.response(), 1, 5), true);
		finisher.journaled(prompt, request, "fingerprint", new io.promptbatch.batch.journal.ResponseJournal.Entry(3,
				paid.response(), 1, 5), false);

		// then: only the own answer's cost is spent, so one worst case fits and a second no longer does
		assertThat(own.cost()).isPositive();
		assertThat(finisher.reserve(prompt, request)).isPositive();
		assertThat(finisher.reserve(prompt, request)).isNull();
	}

	@Test
	void aBatchRunsAnswersArePricedByHowTheyWereAnsweredAlsoWhenFoundInTheJournal() {
		// given: kimi-k2.5 at its batch and its live price; the run's own answer with fingerprint "live" was sent live
		PriceTable live = PriceTable.bundled();
		PriceTable batch = live.forBatches();
		RowFinisher finisher = new RowFinisher(batch, live, "live"::equals, null, null, null, halt);
		Prompt prompt = Fixtures.prompt(1);
		ChatRequest request = new RequestFactory("kimi-k2.5", 100, null).requestFor(prompt);
		io.promptbatch.batch.journal.ResponseJournal.Entry entry = new io.promptbatch.batch.journal.ResponseJournal.Entry(
				7, Fixtures.answer("a", 40), 1, 5);

		// when: a batch's answer and a live answer come back from the journal (a resumed run), and one is sent now
		AnswerRow fromBatch = finisher.journaled(prompt, request, "batch", entry, true);
		AnswerRow sentLiveBefore = finisher.journaled(prompt, request, "live", entry, true);
		AnswerRow sentLiveNow = finisher.finish(prompt, request, new ChatOutcome.Answered(entry.response(), 1, 5), null,
				BigDecimal.ZERO);

		// then
		io.promptbatch.core.chat.Usage usage = entry.response().usage();
		BigDecimal batchCost = batch.cost("kimi-k2.5", usage).orElseThrow();
		BigDecimal liveCost = live.cost("kimi-k2.5", usage).orElseThrow();
		assertThat(batchCost).isLessThan(liveCost);
		assertThat(fromBatch.cost()).isEqualByComparingTo(batchCost);
		assertThat(sentLiveBefore.cost()).isEqualByComparingTo(liveCost);
		assertThat(sentLiveNow.cost()).isEqualByComparingTo(liveCost);
	}

	@Test
	void aRequestWhoseModelHasNoPriceFailsUnderABudget() {
		// given
		RowFinisher finisher = new RowFinisher(prices, null, BigDecimal.ONE, 100, halt);
		finisher.open(BigDecimal.ZERO);
		Prompt prompt = Fixtures.prompt(1);
		ChatRequest unpriced = new RequestFactory("no-such-model", 100, null).requestFor(prompt);

		// when
		RuntimeException refused = null;
		try {
			finisher.reserve(prompt, unpriced);
		}
		catch (RuntimeException e) {
			refused = e;
		}
		AnswerRow row = finisher.unpriced(prompt, unpriced, refused);

		// then
		assertThat(refused).hasMessageContaining("no-such-model has no price");
		assertThat(row.error()).isInstanceOf(NonRetriableChatException.class);
		assertThat(row.error().code()).isEqualTo("no_price");
	}

	@Test
	void aSharedBudgetThatCannotBeReachedStopsTheRunResumablyInsteadOfFailingTheRow() {
		// given: a budget kept in an account shared with other processes, whose database does not answer
		BudgetAccount unreachable = new BudgetAccount() {

			@Override
			public boolean reserve(BigDecimal worst) {
				throw new IllegalStateException("Connection refused");
			}

			@Override
			public void settle(BigDecimal worst, BigDecimal actual) {
				throw new IllegalStateException("Connection refused");
			}

			@Override
			public BigDecimal spent() {
				return BigDecimal.ZERO;
			}
		};
		RowFinisher finisher = new RowFinisher(prices, prices, fingerprint -> false, null, BigDecimal.ONE, 100, halt,
				unreachable);
		finisher.open(BigDecimal.ZERO);
		Prompt prompt = Fixtures.prompt(1);

		// when
		BigDecimal reserved = finisher.reserve(prompt, requests.requestFor(prompt));

		// then: nothing is sent (no reservation), no failed row is made, and the run stops as on a fatal answer
		assertThat(reserved).isNull();
		assertThat(halt.takesMore()).isFalse();
		assertThat(halt.fatal()).isNotNull();
		assertThat(halt.fatal().code()).isEqualTo("state_database");
		assertThat(halt.fatal().getMessage()).contains("Connection refused").contains("run the same command again");
	}

	@Test
	void aBudgetNeedsACompletionTokenLimit() {
		assertThatThrownBy(() -> new RowFinisher(prices, null, BigDecimal.ONE, null, halt))
			.isInstanceOf(IllegalArgumentException.class)
			.hasMessage("a budget needs a completion token limit (max tokens)");
	}
}
