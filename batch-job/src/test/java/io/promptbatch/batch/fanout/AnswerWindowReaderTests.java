package io.promptbatch.batch.fanout;

import static org.assertj.core.api.Assertions.assertThat;

import io.promptbatch.batch.CacheMode;
import io.promptbatch.batch.StopSignal;
import io.promptbatch.batch.journal.ResponseJournal;
import io.promptbatch.core.cost.PriceTable;
import io.promptbatch.core.limit.ConcurrencyLimit;
import io.promptbatch.core.prompt.PromptOptions;
import io.promptbatch.core.prompt.PromptReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.batch.infrastructure.item.ExecutionContext;

/** The reader restarted the way Spring Batch restarts a reader: read, update the context, a new reader opens on it. */
class AnswerWindowReaderTests {

	private static final long RUN = 11;

	@TempDir
	Path dir;

	private Path input;

	private ResponseJournal journal;

	private PriceTable prices;

	@BeforeEach
	void given() throws Exception {
		StringBuilder csv = new StringBuilder("id,prompt\n");
		for (int n = 1; n <= 40; n++) {
			csv.append('q').append(n).append(",question ").append(n).append('\n');
		}
		input = Files.writeString(dir.resolve("prompts.csv"), csv);
		journal = Fixtures.journal(dir);
		prices = Fixtures.prices();
	}

	@AfterEach
	void close() {
		journal.close();
	}

	private AnswerWindowReader reader(HeldSender sender, long from, long to, AtomicInteger stopped) {
		Halt halt = new Halt(new StopSignal(Duration.ofSeconds(1)));
		RowFinisher finisher = new RowFinisher(prices, null, null, null, halt);
		RowResolver resolver = new RowResolver(new RequestFactory(Fixtures.TINY, 100, null), "http://127.0.0.1/v1",
				journal, RUN, CacheMode.USE, prices, finisher);
		Dispatcher dispatcher = new WindowDispatcher(sender, ConcurrencyLimit.fixed(4), 8,
				(fingerprint, response, attempts, latency) -> journal.record(RUN, fingerprint, response, attempts,
						latency),
				finisher, halt);
		PromptSource source = new PromptSource(() -> PromptReader.open(input, new PromptOptions(null, null, false)),
				from, to);
		return new AnswerWindowReader(source, resolver, dispatcher, finisher, halt, stopped::incrementAndGet);
	}

	@Test
	void continuesExactlyWhereTheLastUpdateLeftOffWithoutPayingTwice() throws Exception {
		// given: a reader that handed out 13 rows when the chunk committed, one more after it, and was closed (the
		// step failed)
		HeldSender firstSender = HeldSender.answering();
		AtomicInteger stopped = new AtomicInteger();
		ExecutionContext context = new ExecutionContext();
		AnswerWindowReader first = reader(firstSender, 0, Long.MAX_VALUE, stopped);
		first.open(context);
		List<String> ids = new ArrayList<>();
		for (int n = 0; n < 13; n++) {
			ids.add(first.read().prompt().id());
		}
		first.update(context);
		first.read();
		// its read-ahead sent the rows after it, up to the reorder buffer (8 rows not yet handed out)
		org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> firstSender.calls.size() == 22);
		first.close();

		// when: a new reader opens on that context and reads to the end
		HeldSender secondSender = HeldSender.answering();
		AnswerWindowReader second = reader(secondSender, 0, Long.MAX_VALUE, stopped);
		second.open(context);
		AnswerRow row;
		while ((row = second.read()) != null) {
			ids.add(row.prompt().id());
			assertThat(row.response().content()).isEqualTo("answer to question " + row.prompt().id().substring(1));
		}
		second.update(context);
		second.close();

		// then: rows 1-40 once each, in input order; each request paid once (the first reader's read-ahead answers
		// came from the journal); neither reader ended early
		List<String> expected = new ArrayList<>();
		for (int n = 1; n <= 40; n++) {
			expected.add("q" + n);
		}
		assertThat(ids).containsExactlyElementsOf(expected);
		assertThat(context.getLong(AnswerWindowReader.ROWS_DONE)).isEqualTo(40);
		assertThat(firstSender.calls.size() + secondSender.calls.size()).isEqualTo(40);
		assertThat(secondSender.calls).extracting(HeldSender.Call::content)
			.doesNotContain("question 14", "question 22")
			.contains("question 23", "question 40");
		assertThat(stopped).hasValue(0);
		assertThat(firstSender.closed).isTrue();
	}

	@Test
	void readsOnlyItsRecordRange() throws Exception {
		// given: the range [10, 15)
		HeldSender sender = HeldSender.answering();
		AnswerWindowReader reader = reader(sender, 10, 15, new AtomicInteger());
		ExecutionContext context = new ExecutionContext();

		// when
		reader.open(context);
		List<String> ids = new ArrayList<>();
		AnswerRow row;
		while ((row = reader.read()) != null) {
			ids.add(row.prompt().id());
		}
		reader.update(context);
		reader.close();

		// then
		assertThat(ids).containsExactly("q11", "q12", "q13", "q14", "q15");
		assertThat(sender.calls).hasSize(5);
		assertThat(context.getLong(AnswerWindowReader.ROWS_DONE)).isEqualTo(5);
	}

	@Test
	void aStopRequestEndsTheReaderEarlyAndResumably() throws Exception {
		// given: a reader whose answers after the fifth never come
		AtomicInteger answered = new AtomicInteger();
		HeldSender sender = new HeldSender(r -> answered.incrementAndGet() > 5, HeldSender::answerTo);
		StopSignal stop = new StopSignal(Duration.ofMillis(100));
		Halt halt = new Halt(stop);
		RowFinisher finisher = new RowFinisher(prices, null, null, null, halt);
		AtomicInteger stopped = new AtomicInteger();
		AnswerWindowReader reader = new AnswerWindowReader(
				new PromptSource(() -> PromptReader.open(input, new PromptOptions(null, null, false)), 0, Long.MAX_VALUE),
				new RowResolver(new RequestFactory(Fixtures.TINY, 100, null), "http://127.0.0.1/v1", journal, RUN,
						CacheMode.USE, prices, finisher),
				new WindowDispatcher(sender, ConcurrencyLimit.fixed(4), 8,
						(fp, response, attempts, latency) -> journal.record(RUN, fp, response, attempts, latency),
						finisher, halt),
				finisher, halt, stopped::incrementAndGet);
		ExecutionContext context = new ExecutionContext();
		reader.open(context);
		List<String> ids = new ArrayList<>();
		for (int n = 0; n < 5; n++) {
			ids.add(reader.read().prompt().id());
		}

		// when: a stop is requested while the sixth is in flight
		stop.request();
		AnswerRow next = reader.read();
		reader.update(context);
		reader.close();

		// then: the reader ends after the grace time, once, with the five rows it handed out as its restart state
		assertThat(next).isNull();
		assertThat(stopped).hasValue(1);
		assertThat(ids).containsExactly("q1", "q2", "q3", "q4", "q5");
		assertThat(context.getLong(AnswerWindowReader.ROWS_DONE)).isEqualTo(5);
	}
}
