package io.promptbatch.cli;

import io.promptbatch.batch.RunProgress;
import java.io.PrintWriter;
import java.math.RoundingMode;
import java.time.Duration;
import java.util.Locale;

/**
 * Progress on stderr while a run goes: on a terminal a live line redrawn twice a second; elsewhere
 * (CI logs, cron mail) one plain line per interval.
 */
final class ProgressPrinter implements AutoCloseable {

	private final RunProgress progress;
	private final PrintWriter err;
	private final long total;
	private final boolean terminal;
	private final Duration interval;
	private final Thread thread;
	private final long start = System.nanoTime();
	private volatile boolean running = true;
	private long startRows = -1;

	private ProgressPrinter(RunProgress progress, PrintWriter err, long total, boolean terminal, Duration interval) {
		this.progress = progress;
		this.err = err;
		this.total = total;
		this.terminal = terminal;
		this.interval = terminal ? Duration.ofMillis(500) : interval;
		this.thread = new Thread(this::loop, "promptbatch-progress");
		this.thread.setDaemon(true);
	}

	static ProgressPrinter start(RunProgress progress, PrintWriter err, long total, boolean terminal,
			Duration interval) {
		ProgressPrinter p = new ProgressPrinter(progress, err, total, terminal, interval);
		p.thread.start();
		return p;
	}

	private void loop() {
		while (running) {
			try {
				Thread.sleep(interval.toMillis());
			}
			catch (InterruptedException e) {
				return;
			}
			if (running) {
				print();
			}
		}
	}

	String line() {
		RunProgress.Snapshot s = progress.snapshot();
		if (startRows < 0) {
			startRows = s.rows();
		}
		double seconds = Math.max(0.001, (System.nanoTime() - start) / 1e9);
		double rate = (s.rows() - startRows) / seconds;
		String eta = rate > 0 && total > s.rows() ? formatDuration((long) ((total - s.rows()) / rate)) : "-";
		int percent = total > 0 ? (int) (100 * s.rows() / total) : 100;
		return String.format(Locale.ROOT, "%s %d/%d rows (%d%%)  %.1f rows/s  ETA %s  in flight %d  tokens %,d/%,d  "
				+ "$%s  failed %d", terminal ? bar(percent) : "progress:", s.rows(), total, percent, rate, eta,
				s.inFlight(), s.promptTokens(), s.completionTokens(),
				s.costUsd().setScale(4, RoundingMode.HALF_UP).toPlainString(), s.failed());
	}

	private void print() {
		if (terminal) {
			err.print("\r\u001b[2K" + line());
		}
		else {
			err.println(line());
		}
		err.flush();
	}

	private static String bar(int percent) {
		int filled = Math.min(20, percent / 5);
		return "[" + "#".repeat(filled) + " ".repeat(20 - filled) + "]";
	}

	private static String formatDuration(long seconds) {
		return seconds >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", seconds / 3600, seconds % 3600 / 60)
				: String.format(Locale.ROOT, "%dm%02ds", seconds / 60, seconds % 60);
	}

	@Override
	public void close() {
		running = false;
		thread.interrupt();
		if (terminal) {
			err.print("\r\u001b[2K");
			err.flush();
		}
	}
}
