package io.promptbatch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.promptbatch.batch.RunProgress;
import io.promptbatch.batch.output.RunTotals;
import java.io.PrintWriter;
import java.io.StringWriter;
import io.promptbatch.core.limit.OutageBreaker;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ProgressPrinterTests {

	private final AtomicLong clock = new AtomicLong(1_000_000_000L);

	private final AtomicLong rows = new AtomicLong();

	private final RunProgress progress = new RunProgress();

	private final StringWriter printed = new StringWriter();

	private ProgressPrinter printer(long total, int width) {
		progress.answered(rows::get);
		progress.inFlight(() -> 16);
		return new ProgressPrinter(progress, new PrintWriter(printed), total, width, Duration.ofSeconds(10),
				clock::get);
	}

	private void advance(Duration d, long rowsNow, ProgressPrinter printer) {
		// sampled every tick, as the printer's thread does
		long ticks = d.toMillis() / ProgressPrinter.TICK.toMillis();
		long from = rows.get();
		for (long i = 1; i <= ticks; i++) {
			clock.addAndGet(ProgressPrinter.TICK.toNanos());
			rows.set(from + (rowsNow - from) * i / ticks);
			printer.sample();
		}
	}

	@Test
	void theRateIsThatOfTheRowsAnsweredOverTheLastSecondsNotHalfOfIt() {
		// given: the step opens; 1,820 rows in the first 10 s, then 1,410 more in the next 10 s (141 rows/s)
		ProgressPrinter printer = printer(5000, 0);
		progress.written(new RunTotals());
		printer.sample();

		// when
		advance(Duration.ofSeconds(10), 1820, printer);
		String first = printer.line();
		advance(Duration.ofSeconds(10), 3230, printer);
		String second = printer.line();

		// then: the first line already has a rate, and the second is the last 10 s's, 1,410 rows in 10 s (not in 20)
		assertThat(first).contains("1820/5000 rows (36%)").contains("182.0 rows/s").contains("ETA 0m17s");
		assertThat(second).contains("3230/5000 rows (64%)").contains("141.0 rows/s").contains("ETA 0m12s");
	}

	@Test
	void theRateCountsFromWhereAResumedRunStoodNotFromZero() {
		// given: rows of an earlier attempt show up when the step opens
		ProgressPrinter printer = printer(5000, 0);
		printer.sample();
		advance(Duration.ofSeconds(2), 0, printer);
		rows.set(2000);
		progress.written(new RunTotals());
		printer.sample();

		// when: 100 rows a second from there
		advance(Duration.ofSeconds(10), 3000, printer);

		// then
		assertThat(printer.line()).contains("3000/5000 rows (60%)").contains("100.0 rows/s").contains("ETA 0m20s");
	}

	@Test
	void beforeTheStepOpensThereIsNoRateRatherThanAFalseOne() {
		ProgressPrinter printer = printer(5000, 0);
		advance(Duration.ofSeconds(10), 0, printer);

		assertThat(printer.line()).contains("- rows/s").contains("ETA -");
	}

	@Test
	void theLiveLineFitsEightyColumnsKeepingRowsRateEtaAndFailures() {
		ProgressPrinter printer = printer(5000, 80);
		progress.written(new RunTotals());
		printer.sample();
		advance(Duration.ofSeconds(10), 1820, printer);

		String line = printer.line();

		assertThat(line.length()).isLessThan(80);
		assertThat(line).startsWith("1820/5000 rows (36%)  182.0 rows/s").contains("1820/5000 rows (36%)").contains("182.0 rows/s").contains("ETA ").contains("failed 0");
		// what goes first: the token counts
		assertThat(line).doesNotContain("tokens");
	}

	@Test
	void theLiveLineFitsFortyColumnsWithTheRowsAndTheEta() {
		ProgressPrinter printer = printer(5000, 40);
		progress.written(new RunTotals());
		printer.sample();
		advance(Duration.ofSeconds(10), 1820, printer);

		String line = printer.line();

		assertThat(line.length()).isLessThan(40);
		assertThat(line).contains("1820/5000 rows (36%)").contains("ETA ");
	}

	@Test
	void aWideTerminalShowsTheWholeLineWithItsBar() {
		ProgressPrinter printer = printer(5000, 200);
		progress.written(new RunTotals());
		printer.sample();
		advance(Duration.ofSeconds(10), 2500, printer);

		assertThat(printer.line()).startsWith("[##########          ] 2500/5000 rows (50%)").contains("in flight 16")
			.contains("tokens 0/0").contains("$0.0000").contains("failed 0");
	}

	@Test
	void aContinuedRunSaysSoOnceWithTheRowItContinuesFromAndTheJournalsAnswers() {
		ProgressPrinter printer = printer(5000, 0);
		progress.resumption(new RunProgress.Resumption(4, 1250, 16));

		printer.sample();
		printer.sample();

		assertThat(printed.toString()).isEqualTo("promptbatch: continuing run 4 from row 1251 (1250 rows were written "
				+ "before; 16 answers already received are taken from the journal, not paid for again)\n");
	}

	@Test
	void anOutageIsSaidWhenRequestsPauseAtEachFailedProbeAndWhenTheyResume() {
		// given
		ProgressPrinter printer = printer(5000, 0);
		java.util.concurrent.atomic.AtomicReference<OutageBreaker.Outage> outage = new java.util.concurrent.atomic.AtomicReference<>();
		progress.outage(() -> java.util.Optional.ofNullable(outage.get()));
		Instant since = Instant.parse("2026-12-02T09:15:00Z");
		java.time.format.DateTimeFormatter local = java.time.format.DateTimeFormatter.ofPattern("HH:mm:ss")
			.withZone(java.time.ZoneId.systemDefault());

		// when: requests pause, a probe fails, the provider answers again
		printer.sample();
		outage.set(new OutageBreaker.Outage(since, since.plusSeconds(1)));
		printer.sample();
		printer.sample();
		outage.set(new OutageBreaker.Outage(since, since.plusSeconds(3)));
		printer.sample();
		outage.set(null);
		printer.sample();

		// then
		assertThat(printed.toString().lines()).containsExactly(
				"promptbatch: provider unreachable since " + local.format(since) + ": requests paused, next probe at "
						+ local.format(since.plusSeconds(1)),
				"promptbatch: provider still unreachable (since " + local.format(since) + "): next probe at "
						+ local.format(since.plusSeconds(3)),
				printed.toString().lines().toList().get(2));
		assertThat(printed.toString().lines().toList().get(2)).startsWith("promptbatch: provider answers again: "
				+ "requests resumed at ").endsWith("(paused since " + local.format(since) + ")");
	}

	@Test
	void onATerminalAnAnnouncementClearsTheLiveLineFirst() {
		ProgressPrinter printer = printer(5000, 80);
		progress.resumption(new RunProgress.Resumption(2, 100, 0));

		printer.sample();

		assertThat(printed.toString()).startsWith("\r\u001b[2Kpromptbatch: continuing run 2 from row 101").endsWith("\n");
	}

	@Test
	void anOutageThatEndsAfterTheLastTickIsStillSaidWhenThePrinterCloses() {
		// given: requests paused at the last tick
		ProgressPrinter printer = printer(40, 0);
		java.util.concurrent.atomic.AtomicReference<OutageBreaker.Outage> outage = new java.util.concurrent.atomic.AtomicReference<>(
				new OutageBreaker.Outage(Instant.now(), Instant.now().plusSeconds(2)));
		progress.outage(() -> java.util.Optional.ofNullable(outage.get()));
		printer.sample();

		// when: the provider answers again, the last rows come in, and the run ends before the next tick
		outage.set(null);
		printer.close();

		// then
		assertThat(printed.toString().lines()).hasSize(2);
		assertThat(printed.toString()).contains("promptbatch: provider answers again: requests resumed at ");
	}
}
