package io.promptbatch.cli;

import io.promptbatch.batch.RunProgress;
import io.promptbatch.core.limit.OutageBreaker;
import java.io.PrintWriter;
import java.math.RoundingMode;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;

/**
 * Progress on stderr while a run goes: on a terminal a live line redrawn twice a second, fitted to the
 * terminal's width; elsewhere (CI logs, cron mail) one plain line per interval. The rate is that of the
 * last {@link #WINDOW}, counted from when the step opened (rows of earlier attempts are not this
 * attempt's rate).
 */
final class ProgressPrinter implements AutoCloseable {

	/** How often the progress is sampled (and the live line redrawn). */
	static final Duration TICK = Duration.ofMillis(500);

	/** The span the rate is measured over. */
	static final Duration WINDOW = Duration.ofSeconds(10);

	private final RunProgress progress;
	private final PrintWriter err;
	private final long total;
	/** The live line's width, or 0 when stderr is not a terminal. */
	private final int width;
	private final Duration interval;
	private final LongSupplier nanos;
	private final Deque<long[]> samples = new ArrayDeque<>();
	private final Thread thread;
	private volatile boolean running = true;
	private boolean resumptionSaid;
	private OutageBreaker.@Nullable Outage outage;
	private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneId.systemDefault());

	ProgressPrinter(RunProgress progress, PrintWriter err, long total, int width, Duration interval, LongSupplier nanos) {
		this.progress = progress;
		this.err = err;
		this.total = total;
		this.width = width;
		this.interval = width > 0 ? TICK : interval;
		this.nanos = nanos;
		this.thread = new Thread(this::loop, "promptbatch-progress");
		this.thread.setDaemon(true);
	}

	static ProgressPrinter start(RunProgress progress, PrintWriter err, long total, boolean terminal,
			Duration interval) {
		ProgressPrinter p = new ProgressPrinter(progress, err, total, terminal ? TerminalWidth.detect() : 0, interval,
				System::nanoTime);
		p.thread.start();
		return p;
	}

	private void loop() {
		long next = nanos.getAsLong() + interval.toNanos();
		while (running) {
			try {
				Thread.sleep(TICK.toMillis());
			}
			catch (InterruptedException e) {
				return;
			}
			sample();
			if (running && nanos.getAsLong() - next >= 0) {
				next += interval.toNanos();
				print();
			}
		}
	}

	/** Records where the run stands now, for the rate, and says what changed that a person should know. */
	synchronized void sample() {
		announce();
		if (!progress.started()) {
			return;
		}
		long now = nanos.getAsLong();
		samples.addLast(new long[] { now, progress.snapshot().rows() });
		while (samples.size() > 2 && now - samples.peekFirst()[0] > WINDOW.toNanos()) {
			samples.removeFirst();
		}
	}

	/**
	 * Says once that the run continues an earlier attempt, and when requests pause for a provider outage
	 * (and at each failed probe) and when they resume.
	 */
	private void announce() {
		if (!resumptionSaid) {
			progress.resumption().ifPresent(r -> {
				resumptionSaid = true;
				say(String.format(Locale.ROOT, "promptbatch: continuing run %d from row %d (%d rows were written "
						+ "before; %d answers already received are taken from the journal, not paid for again)",
						r.runId(), r.rowsWritten() + 1, r.rowsWritten(), r.journaled()));
			});
		}
		OutageBreaker.Outage now = progress.outage().orElse(null);
		if (now != null && (outage == null || !now.nextProbe().equals(outage.nextProbe()))) {
			say(outage == null
					? "promptbatch: provider unreachable since " + clock(now.since()) + ": requests paused, next probe at "
							+ clock(now.nextProbe())
					: "promptbatch: provider still unreachable (since " + clock(now.since()) + "): next probe at "
							+ clock(now.nextProbe()));
		}
		else if (now == null && outage != null) {
			say("promptbatch: provider answers again: requests resumed at " + clock(Instant.now()) + " (paused since "
					+ clock(outage.since()) + ")");
		}
		outage = now;
	}

	private static String clock(Instant instant) {
		return CLOCK.format(instant);
	}

	/** A line of its own, above the live line on a terminal. */
	private void say(String line) {
		err.print(width > 0 ? "\r\u001b[2K" + line + "\n" : line + "\n");
		err.flush();
	}

	/** Rows per second over the samples of the window, or -1 before two samples a moment apart. */
	private synchronized double rate() {
		if (samples.size() < 2) {
			return -1;
		}
		long[] first = samples.peekFirst();
		long[] last = samples.peekLast();
		double seconds = (last[0] - first[0]) / 1e9;
		return seconds < 0.2 ? -1 : (last[1] - first[1]) / seconds;
	}

	String line() {
		RunProgress.Snapshot s = progress.snapshot();
		double rate = rate();
		String eta = rate > 0 && total > s.rows() ? formatDuration((long) ((total - s.rows()) / rate))
				: total <= s.rows() ? "0m00s" : "-";
		int percent = total > 0 ? (int) (100 * s.rows() / total) : 100;
		List<Part> parts = new ArrayList<>();
		if (width > 0) {
			parts.add(new Part(bar(percent), 1, true));
		}
		else {
			parts.add(new Part("progress:", 9, true));
		}
		parts.add(new Part(String.format(Locale.ROOT, "%d/%d rows (%d%%)", s.rows(), total, percent), 9, false));
		parts.add(new Part(rate < 0 ? "- rows/s" : String.format(Locale.ROOT, "%.1f rows/s", rate), 6, false));
		parts.add(new Part("ETA " + eta, 8, false));
		parts.add(new Part("in flight " + s.inFlight(), 3, false));
		parts.add(new Part(String.format(Locale.ROOT, "tokens %,d/%,d", s.promptTokens(), s.completionTokens()), 2, false));
		parts.add(new Part("$" + s.costUsd().setScale(4, RoundingMode.HALF_UP).toPlainString(), 4, false));
		parts.add(new Part("failed " + s.failed(), 7, false));
		return fit(parts, width > 0 ? width - 1 : Integer.MAX_VALUE);
	}

	/** One part of the line, and how much it matters: the lowest go first when the line is too long. */
	private record Part(String text, int priority, boolean lead) {
	}

	private static String fit(List<Part> parts, int max) {
		List<Part> kept = new ArrayList<>(parts);
		String line = join(kept);
		while (line.length() > max && kept.size() > 1) {
			Part least = kept.get(0);
			for (Part p : kept) {
				if (p.priority() < least.priority()) {
					least = p;
				}
			}
			kept.remove(least);
			line = join(kept);
		}
		return line.length() > max ? line.substring(0, Math.max(0, max)) : line;
	}

	private static String join(List<Part> parts) {
		StringBuilder b = new StringBuilder();
		Part previous = null;
		for (Part p : parts) {
			if (previous != null) {
				// a label ("progress:") or the bar is followed by one space, the rest by two
				b.append(previous.lead() ? " " : "  ");
			}
			b.append(p.text());
			previous = p;
		}
		return b.toString();
	}

	private void print() {
		if (width > 0) {
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
		try {
			thread.join(1000);
		}
		catch (InterruptedException e) {
			Thread.currentThread().interrupt();
		}
		// what changed since the last tick (an outage that ended as the last rows came in) is still said
		synchronized (this) {
			announce();
		}
		if (width > 0) {
			err.print("\r\u001b[2K");
			err.flush();
		}
	}
}
