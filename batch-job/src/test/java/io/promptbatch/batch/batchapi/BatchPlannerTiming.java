package io.promptbatch.batch.batchapi;

import static org.assertj.core.api.Assertions.assertThat;

import io.promptbatch.batch.CacheMode;
import io.promptbatch.batch.StopSignal;
import io.promptbatch.batch.fanout.Halt;
import io.promptbatch.batch.fanout.RequestFactory;
import io.promptbatch.batch.fanout.RowFinisher;
import io.promptbatch.batch.fanout.RowResolver;
import io.promptbatch.batch.journal.ResponseJournal;
import io.promptbatch.core.cost.PriceTable;
import io.promptbatch.core.prompt.PromptOptions;
import io.promptbatch.core.prompt.PromptReader;
import io.promptbatch.core.provider.BatchLimits;
import java.io.BufferedWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A measurement, not a test (surefire runs {@code *Tests} only): the time {@link BatchPlanner#plan} takes for a file
 * of rows read, rendered and resolved as {@code BatchApiTasklet} does, into a ledger on an H2 file. Run with
 * {@code mvn -o -q -pl batch-job -am test -Dtest=BatchPlannerTiming -Dsurefire.failIfNoSpecifiedTests=false
 * -Drows=100000 -Drepeats=5}; it prints wall and CPU time of each repeat.
 */
class BatchPlannerTiming {

	private static final String URL = "http://127.0.0.1:9/v1";

	@TempDir
	Path dir;

	@Test
	void plansTheRowsOfAFile() throws Exception {
		int rows = Integer.getInteger("rows", 100_000);
		int repeats = Integer.getInteger("repeats", 5);
		Path input = dir.resolve("prompts.csv");
		try (BufferedWriter out = Files.newBufferedWriter(input)) {
			out.write("id,prompt,topic\n");
			for (int i = 1; i <= rows; i++) {
				out.write("q" + i + ",Explain in two sentences why item " + i + " of the catalogue matters for "
						+ "physics.,t" + (i % 7) + "\n");
			}
		}
		Ledgers l = new Ledgers(dir.resolve("state"));
		ResponseJournal journal = new ResponseJournal(l.jdbc, l.transactions, dir.resolve("answer-log"));
		PriceTable prices = PriceTable.bundled();
		RowResolver resolver = new RowResolver(new RequestFactory("gpt-4o-mini", true, null, null, Map.of(), URL, null),
				URL, journal, 1, CacheMode.USE, prices, new RowFinisher(prices, null, null, null,
						new Halt(new StopSignal(Duration.ofSeconds(1)))));
		resolver.open();
		ThreadMXBean threads = ManagementFactory.getThreadMXBean();
		for (int r = 1; r <= repeats; r++) {
			// the rows alone: read, rendered and resolved, nothing planned
			long readCpu = threads.getCurrentThreadCpuTime();
			long n = 0;
			for (Iterator<RowResolver.Resolved> i = rows(input, resolver); i.hasNext(); i.next()) {
				n++;
			}
			readCpu = threads.getCurrentThreadCpuTime() - readCpu;
			System.out.printf("read %d: %d rows: cpu %d ms%n", r, n, readCpu / 1_000_000);
		}
		for (int r = 1; r <= repeats; r++) {
			long cpu = threads.getCurrentThreadCpuTime();
			long start = System.nanoTime();
			int parts = new BatchPlanner(l.ledger, BatchLimits.OPENAI, input).plan(r, "tag", () -> rows(input, resolver));
			long wall = System.nanoTime() - start;
			cpu = threads.getCurrentThreadCpuTime() - cpu;
			assertThat(l.ledger.count(r, null)).isEqualTo(rows);
			System.out.printf("plan %d: %d rows, %d parts: wall %d ms, cpu %d ms%n", r, rows, parts, wall / 1_000_000,
					cpu / 1_000_000);
		}
	}

	/** The file's rows, resolved as a run resolves them, those to send. */
	private static Iterator<RowResolver.Resolved> rows(Path input, RowResolver resolver) {
		return BatchPlanner.toSend(PromptReader.open(input, new PromptOptions(null, null, false)), Long.MAX_VALUE,
				resolver);
	}
}
