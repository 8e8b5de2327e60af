package io.promptbatch.cli;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/** The width of the terminal stderr is on: {@code COLUMNS}, else what {@code stty size} says, else 80. */
final class TerminalWidth {

	static final int FALLBACK = 80;

	private TerminalWidth() {
	}

	static int detect() {
		Integer columns = parse(System.getenv("COLUMNS"));
		if (columns != null) {
			return columns;
		}
		Integer stty = stty();
		return stty != null ? stty : FALLBACK;
	}

	/** A positive number of columns, or null. */
	static @Nullable Integer parse(@Nullable String text) {
		if (text == null) {
			return null;
		}
		try {
			int n = Integer.parseInt(text.strip());
			return n > 0 ? n : null;
		}
		catch (NumberFormatException e) {
			return null;
		}
	}

	/** The columns of the controlling terminal as {@code stty size} ("rows columns") reports them, or null. */
	private static @Nullable Integer stty() {
		File tty = new File("/dev/tty");
		if (!tty.exists()) {
			return null;
		}
		try {
			Process p = new ProcessBuilder("stty", "size").redirectInput(tty)
				.redirectError(ProcessBuilder.Redirect.DISCARD)
				.start();
			if (!p.waitFor(2, TimeUnit.SECONDS)) {
				p.destroyForcibly();
				return null;
			}
			String[] size = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip().split("\\s+");
			return size.length == 2 ? parse(size[1]) : null;
		}
		catch (IOException | RuntimeException e) {
			return null;
		}
		catch (InterruptedException e) {
			Thread.currentThread().interrupt();
			return null;
		}
	}
}
