package io.promptbatch.cli;

import io.promptbatch.batch.StopSignal;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * SIGTERM and Ctrl-C during a job command: ask the job to stop gracefully, let the command finish
 * (commit, summary, closing the state database), then exit with the command's own exit code (1 for a
 * stopped run) instead of the signal's.
 */
final class GracefulStop implements AutoCloseable {

	/** Time allowed for answers already in flight once a stop is requested. */
	static final Duration GRACE = Duration.ofSeconds(30);

	private final StopSignal signal = new StopSignal(GRACE);
	private final CountDownLatch finished = new CountDownLatch(1);
	private final Thread hook;
	private volatile boolean triggered;
	private volatile int exitCode = 1;

	private GracefulStop() {
		this.hook = new Thread(this::onSignal, "promptbatch-stop");
	}

	static GracefulStop install() {
		GracefulStop stop = new GracefulStop();
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
		System.err.println((System.console() != null ? "\r\u001b[2K" : "") + "promptbatch: stopping: no new requests; "
				+ "waiting up to " + GRACE.toSeconds()
				+ " s for answers in flight, then committing (press Ctrl-C again to abort)");
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
