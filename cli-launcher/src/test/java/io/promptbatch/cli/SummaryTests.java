package io.promptbatch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.promptbatch.batch.RunOutcome;
import io.promptbatch.batch.output.RunTotals;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.batch.core.BatchStatus;

class SummaryTests {

	@TempDir
	Path dir;

	private String summary(BatchStatus status, Duration attempt, Duration all) {
		RunOutcome outcome = new RunOutcome(7, 3, status, new RunTotals(), 24, List.of(), false, attempt,
				dir.resolve("answers.jsonl"), all, null);
		StringWriter err = new StringWriter();
		Summary.print(new PrintWriter(err, true), outcome, dir.resolve("answers.jsonl"), dir, Optional.empty(), false);
		return err.toString();
	}

	@Test
	void aRunOfOneAttemptShowsOneTime() {
		String text = summary(BatchStatus.COMPLETED, Duration.ofMillis(29_900), Duration.ofMillis(29_850));

		assertThat(text).contains("run 3 completed").contains("in 29.9 s\n").doesNotContain("run time")
			.doesNotContain("29.8");
	}

	@Test
	void aRunOfSeveralAttemptsLabelsBothTimes() {
		String text = summary(BatchStatus.COMPLETED, Duration.ofMillis(29_900), Duration.ofMillis(35_200));

		assertThat(text).contains("in 29.9 s (this attempt; 35.2 s over all attempts)").doesNotContain("run time");
	}

	@Test
	void aStoppedRunSaysItsTimeOnce() {
		String text = summary(BatchStatus.STOPPED, Duration.ofMillis(12_000), Duration.ofMillis(12_000));

		assertThat(text).contains("run 3 stopped").contains("time: 12.0 s\n").doesNotContain("run time");
	}
}
