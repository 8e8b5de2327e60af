package io.promptbatch.cli;

import java.io.IOException;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/** Work on a daemon thread of its own, and its result as the work gave it: the input's check while a job starts. */
final class Background {

	private Background() {
	}

	/** Starts {@code work} on a daemon thread named {@code name}. */
	static <T> CompletableFuture<T> start(String name, Callable<T> work) {
		CompletableFuture<T> result = new CompletableFuture<>();
		Thread thread = new Thread(() -> {
			try {
				result.complete(work.call());
			}
			catch (Throwable e) {
				result.completeExceptionally(e);
			}
		}, name);
		thread.setDaemon(true);
		thread.start();
		return result;
	}

	/** A background result, or what its work threw (bad input, a file that cannot be read) as it threw it. */
	static <T> T join(CompletableFuture<T> work) throws IOException {
		try {
			return work.join();
		}
		catch (CompletionException e) {
			Throwable cause = e.getCause();
			if (cause instanceof IOException io) {
				throw io;
			}
			if (cause instanceof RuntimeException re) {
				throw re;
			}
			if (cause instanceof Error error) {
				throw error;
			}
			throw e;
		}
	}
}
