package io.promptbatch.batch.fanout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.promptbatch.core.prompt.InputException;
import io.promptbatch.core.prompt.Prompt;
import io.promptbatch.core.prompt.PromptOptions;
import io.promptbatch.core.prompt.PromptReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PromptSourceTests {

	@TempDir
	Path dir;

	/** A sink with room for {@code room} rows, which keeps what it is given. */
	private static final class Kept implements PromptSource.Sink {

		final Semaphore room;
		final List<String> ids = new CopyOnWriteArrayList<>();
		final CompletableFuture<@Nullable RuntimeException> ended = new CompletableFuture<>();
		volatile String thread = "";

		Kept(int room) {
			this.room = new Semaphore(room);
		}

		@Override
		public boolean room() throws InterruptedException {
			room.acquire();
			return true;
		}

		@Override
		public boolean take(Prompt prompt) {
			thread = Thread.currentThread().getName();
			ids.add(prompt.id());
			return true;
		}

		@Override
		public void end(@Nullable RuntimeException failure) {
			ended.complete(failure);
		}
	}

	private Path csv(int records) throws Exception {
		StringBuilder text = new StringBuilder("id,prompt\n");
		for (int n = 1; n <= records; n++) {
			text.append('q').append(n).append(",question ").append(n).append('\n');
		}
		return Files.writeString(dir.resolve("prompts.csv"), text);
	}

	private static PromptSource source(Path file, long from, long to) {
		return new PromptSource(() -> PromptReader.open(file, new PromptOptions(null, null, false)), from, to);
	}

	@Test
	void readsTheRangeFromTheFirstRowNotDoneOnAThreadOfItsOwn() throws Exception {
		// given: records 1-10, the range [2, 8), 3 rows of it done
		PromptSource source = source(csv(10), 2, 8);
		Kept sink = new Kept(100);

		// when
		long left = source.open(3);
		source.start(sink);

		// then: records 6, 7 and 8, then the end
		assertThat(sink.ended.get()).isNull();
		assertThat(left).isEqualTo(3);
		assertThat(sink.ids).containsExactly("q6", "q7", "q8");
		assertThat(sink.thread).isEqualTo(PromptSource.THREAD);
		source.close();
	}

	@Test
	void readsAheadNoFurtherThanTheSinkHasRoom() throws Exception {
		// given: 1,000 records and room for 5
		PromptSource source = source(csv(1000), 0, Long.MAX_VALUE);
		Kept sink = new Kept(5);

		// when
		source.open(0);
		source.start(sink);

		// then: five read, no more
		await().atMost(Duration.ofSeconds(5)).until(() -> sink.ids.size() == 5);
		Thread.sleep(150);
		assertThat(sink.ids).hasSize(5);

		// when: room for two more, then the source is closed
		sink.room.release(2);
		await().atMost(Duration.ofSeconds(5)).until(() -> sink.ids.size() == 7);
		source.close();

		// then: it ended without a failure
		assertThat(sink.ended.get()).isNull();
		assertThat(sink.ids).hasSize(7);
	}

	@Test
	void endsWithTheFailureOfABadRecordAfterTheRecordsBeforeIt() throws Exception {
		// given: a JSON Lines file whose third line is not JSON
		Path file = Files.writeString(dir.resolve("prompts.jsonl"),
				"{\"id\":\"a\",\"prompt\":\"one\"}\n{\"id\":\"b\",\"prompt\":\"two\"}\n{\"id\":\"c\",\"prompt\":\n");
		PromptSource source = source(file, 0, Long.MAX_VALUE);
		Kept sink = new Kept(100);

		// when
		source.open(0);
		source.start(sink);

		// then
		RuntimeException failure = sink.ended.get();
		assertThat(sink.ids).containsExactly("a", "b");
		assertThat(failure).isInstanceOf(InputException.class).hasMessageContaining("prompts.jsonl").hasMessageContaining("3");
		source.close();
	}

	@Test
	void moreRowsDoneThanTheInputHoldsReadsNothing() throws Exception {
		// given: 4 records, 6 rows done (the input was cut short since)
		PromptSource source = source(csv(4), 0, Long.MAX_VALUE);
		Kept sink = new Kept(100);

		// when
		long left = source.open(6);
		source.start(sink);

		// then
		assertThat(sink.ended.get()).isNull();
		assertThat(left).isZero();
		assertThat(sink.ids).isEmpty();
		source.close();
	}
}
