package io.promptbatch.cli;

import io.promptbatch.batch.StopSignal;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * SIGTERM and Ctrl-C during a job command: ask the job to stop gracefully, let the command finish
 * (commit, summary, closing the state database), then exit with the command's own exit code (1 for a
 * stopped run, 0 for a worker that handed its partition back) instead of the signal's.
 */
final class GracefulStop implements AutoCloseable {

	/** Time allowed for answers already in flight once a stop is requested. */
	static final Duration GRACE = Duration.ofSeconds(30);

	private final StopSignal signal = new StopSignal(GRACE);
	private final CountDownLatch finished = new CountDownLatch(1);
	private final Thread hook;
	private final String announcement;
	private volatile boolean triggered;
	private volatile int exitCode;

	private GracefulStop(String announcement, int exitCode) {
		this.announcement = announcement;
		this.exitCode = exitCode;
		this.hook = new Thread(this::onSignal, "promptbatch-stop");
	}

	/** For a run: a stop ends it stopped (exit 1 unless the command says otherwise), resumably. */
	static GracefulStop install() {
		return install("promptbatch: stopping: no new requests; waiting up to " + GRACE.toSeconds()
				+ " s for answers in flight, then committing (press Ctrl-C again to abort)", 1);
	}

	/**
	 * @param announcement what stderr says when the signal comes
	 * @param exitCode the exit code on a signal, until the command sets its own
	 */
	static GracefulStop install(String announcement, int exitCode) {
		GracefulStop stop = new GracefulStop(announcement, exitCode);
		Runtime.getRuntime().addShutdownHook(stop.hook);
		return stop;
	}

	StopSignal signal() {
		return signal;
	}

	void exitCode(int code) {
		this.exitCode = code;
	}

	private void onSignal() {
		triggered = true;
		// on a terminal, the live progress line is cleared first so that the message starts a line of its own
		System.err.println((System.console() != null ? "\r\u001b[2K" : "") + announcement);
		signal.request();
		try {
			finished.await(GRACE.toSeconds() + 60, TimeUnit.SECONDS);
		}
		catch (InterruptedException e) {
			Thread.currentThread().interrupt();
		}
		System.err.flush();
		Runtime.getRuntime().halt(exitCode);
	}

	@Override
	public void close() {
		if (triggered) {
			finished.countDown();
			return;
		}
		try {
			Runtime.getRuntime().removeShutdownHook(hook);
		}
		catch (IllegalStateException e) {
			// shutting down already: the hook is running and waits for us
			finished.countDown();
		}
	}
}
