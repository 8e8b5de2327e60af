package io.promptbatch.batch.fanout;

import static org.assertj.core.api.Assertions.assertThat;

import io.promptbatch.batch.CacheMode;
import io.promptbatch.batch.StopSignal;
import io.promptbatch.batch.journal.ResponseJournal;
import io.promptbatch.core.client.RequestBody;
import io.promptbatch.core.cost.PriceTable;
import io.promptbatch.core.chat.Message;
import io.promptbatch.core.prompt.Prompt;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.node.JsonNodeFactory;

class RowResolverTests {

	private static final String ENDPOINT = "http://127.0.0.1:8000/v1";

	private static final long RUN = 7;

	private static final long EARLIER_RUN = 3;

	@TempDir
	Path dir;

	private ResponseJournal journal;

	private PriceTable prices;

	private final RequestFactory requests = new RequestFactory(Fixtures.TINY, 100, null);

	@BeforeEach
	void open() throws Exception {
		journal = Fixtures.journal(dir);
		prices = Fixtures.prices();
	}

	@AfterEach
	void close() {
		journal.close();
	}

	private RowResolver resolver(CacheMode cache) {
		RowResolver resolver = new RowResolver(requests, ENDPOINT, journal, RUN, cache, prices,
				new RowFinisher(prices, null, null, null, new Halt(new StopSignal(Duration.ofSeconds(1)))));
		resolver.open();
		return resolver;
	}

	private String fingerprint(Prompt prompt) {
		return RequestBody.fingerprint(ENDPOINT, RequestBody.of(requests.requestFor(prompt)));
	}

	/** Row 1 answered by this run (2 attempts, 40 ms), row 2 by an earlier run; a resolver opened after. */
	private RowResolver recordOwnAndEarlier(CacheMode cache) {
		journal.record(RUN, fingerprint(Fixtures.prompt(1)), Fixtures.answer("own", 40), 2, 40).join();
		journal.record(EARLIER_RUN, fingerprint(Fixtures.prompt(2)), Fixtures.answer("earlier", 40), 1, 9).join();
		return resolver(cache);
	}

	@Test
	void aRequestNoRunHasAnsweredIsToBeSent() {
		// given: an empty journal
		Prompt prompt = Fixtures.prompt(1);

		// when
		RowResolver.Resolved row = resolver(CacheMode.USE).resolve(prompt);

		// then: its request, keyed by the base URL and the canonical body
		assertThat(row.settled()).isNull();
		assertThat(row.request().model()).isEqualTo(Fixtures.TINY);
		assertThat(row.fingerprint()).isEqualTo(fingerprint(prompt));
		assertThat(row.body()).isEqualTo(RequestBody.of(row.request()));
	}

	@Test
	void thisRunsOwnAnswerIsWrittenAsPaidAndAnEarlierRunsAsACacheHit() {
		// given: row 1 answered by this run (2 attempts, 40 ms), row 2 by an earlier run
		RowResolver resolver = recordOwnAndEarlier(CacheMode.USE);

		// when
		AnswerRow ownRow = resolver.resolve(Fixtures.prompt(1)).settled();
		AnswerRow cachedRow = resolver.resolve(Fixtures.prompt(2)).settled();

		// then: the run's own answer with its cost, attempts and latency; the earlier run's as a free cache hit
		assertThat(ownRow.response().content()).isEqualTo("own");
		assertThat(ownRow.cached()).isFalse();
		assertThat(ownRow.cost()).isEqualByComparingTo("0.00009");
		assertThat(ownRow.attempts()).isEqualTo(2);
		assertThat(ownRow.latencyMillis()).isEqualTo(40);
		assertThat(cachedRow.response().content()).isEqualTo("earlier");
		assertThat(cachedRow.cached()).isTrue();
		assertThat(cachedRow.cost()).isEqualByComparingTo("0");
		assertThat(cachedRow.attempts()).isZero();
	}

	@Test
	void withoutTheCacheOnlyThisRunsOwnAnswersAreUsed() {
		// given: row 1 answered by this run, row 2 by an earlier run
		RowResolver resolver = recordOwnAndEarlier(CacheMode.BYPASS);

		// when / then: the run's own answer is not paid twice; the earlier run's is asked again
		assertThat(resolver.resolve(Fixtures.prompt(1)).settled().response().content()).isEqualTo("own");
		assertThat(resolver.resolve(Fixtures.prompt(2)).settled()).isNull();
	}

	@Test
	void withCacheOnlyARowTheCacheDoesNotHoldFailsUnsent() {
		// given: row 1 cached, row 2 not
		Prompt cached = Fixtures.prompt(1);
		journal.record(EARLIER_RUN, fingerprint(cached), Fixtures.answer("cached", 4), 1, 5).join();
		RowResolver resolver = resolver(CacheMode.ONLY);

		// when
		AnswerRow hit = resolver.resolve(cached).settled();
		AnswerRow miss = resolver.resolve(Fixtures.prompt(2)).settled();

		// then
		assertThat(hit.response().content()).isEqualTo("cached");
		assertThat(miss.ok()).isFalse();
		assertThat(miss.error().code()).isEqualTo("not_cached");
		assertThat(miss.error().getMessage()).contains("--cache-only");
	}

	@Test
	void aPromptLongerThanTheModelsContextWindowIsNotSent() {
		// given: a model with a window of 50 tokens and a prompt of about 200
		Prompt tooLong = new Prompt(1, 2, "long", List.of(new Message("user", "word ".repeat(200))), null, Map.of());

		// when
		AnswerRow row = resolver(CacheMode.USE).resolve(tooLong).settled();

		// then
		assertThat(row.ok()).isFalse();
		assertThat(row.error().code()).isEqualTo(ContextWindow.CODE);
		assertThat(row.error().getMessage()).contains("context window of 50 tokens");
	}

	@Test
	void aRequestThatCannotBeBuiltFailsUnsent() {
		// given: a record whose own cap is not a number
		Prompt bad = new Prompt(1, 2, "bad", List.of(new Message("user", "hi")), null, Map.of(),
				new Prompt.Settings(null, null, Map.of("max_completion_tokens", JsonNodeFactory.instance.textNode("ten")),
						false));

		// when
		RowResolver.Resolved row = resolver(CacheMode.USE).resolve(bad);

		// then
		assertThat(row.request()).isNull();
		assertThat(row.settled().error().code()).isEqualTo("bad_request");
		assertThat(row.settled().error().getMessage()).contains("max_completion_tokens");
	}
}
