package io.promptbatch.batch.fanout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.promptbatch.core.client.NonRetriableChatException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ReorderBufferTests {

	private static AnswerRow row(int n) {
		return new AnswerRow(Fixtures.prompt(n), Fixtures.TINY, Fixtures.answer("a" + n, 1), null, 0, 1, null);
	}

	@Test
	void handsRowsBackInTheOrderTheyWereTakenWhateverOrderTheyComplete() throws Exception {
		// given: five rows, the second settled at once, the others completing last to first
		ReorderBuffer buffer = new ReorderBuffer(8);
		List<CompletableFuture<AnswerRow>> pending = new ArrayList<>();
		for (int n = 0; n < 5; n++) {
			buffer.room();
			if (n == 1) {
				buffer.settled(row(n));
			}
			else {
				pending.add(buffer.add());
			}
		}
		buffer.end(null);

		// when: all but the first complete
		pending.get(3).complete(row(4));
		pending.get(2).complete(row(3));
		pending.get(1).complete(row(2));

		// then: nothing is handed out while the first is out
		assertThat(buffer.awaitNext(50, TimeUnit.MILLISECONDS)).isFalse();

		// when: the first completes
		pending.get(0).complete(row(0));

		// then: all five, in input order, then the end
		List<String> ids = new ArrayList<>();
		while (buffer.awaitNext(1, TimeUnit.SECONDS)) {
			AnswerRow next = buffer.next();
			if (next == null) {
				break;
			}
			ids.add(next.prompt().id());
		}
		assertThat(ids).containsExactly("r0", "r1", "r2", "r3", "r4");
		assertThat(buffer.next()).isNull();
	}

	@Test
	void holdsNoMoreRowsThanItsSizeUntilOneIsHandedOut() throws Exception {
		// given: a buffer of two, full
		ReorderBuffer buffer = new ReorderBuffer(2);
		buffer.room();
		buffer.settled(row(0));
		buffer.room();
		buffer.settled(row(1));
		CompletableFuture<Void> third = CompletableFuture.runAsync(() -> {
			try {
				buffer.room();
			}
			catch (InterruptedException e) {
				Thread.currentThread().interrupt();
			}
		});

		// then: no room for a third
		Thread.sleep(100);
		assertThat(third).isNotDone();

		// when: one row is handed out
		assertThat(buffer.awaitNext(1, TimeUnit.SECONDS)).isTrue();
		assertThat(buffer.next().prompt().id()).isEqualTo("r0");

		// then: there is room again
		third.get(5, TimeUnit.SECONDS);
	}

	@Test
	void aFailureIsThrownOnceTheRowsBeforeItAreOut() throws Exception {
		// given: one row, then the failure of a bad record
		ReorderBuffer buffer = new ReorderBuffer(4);
		buffer.room();
		buffer.settled(row(0));
		NonRetriableChatException bad = new NonRetriableChatException(0, "bad", "line 3 is not JSON", null, null);
		buffer.end(bad);

		// when / then
		assertThat(buffer.awaitNext(1, TimeUnit.SECONDS)).isTrue();
		assertThat(buffer.next().prompt().id()).isEqualTo("r0");
		assertThat(buffer.awaitNext(1, TimeUnit.SECONDS)).isTrue();
		assertThatThrownBy(buffer::next).isSameAs(bad);
	}
}
