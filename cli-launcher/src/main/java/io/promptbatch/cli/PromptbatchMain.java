package io.promptbatch.cli;

/** Entry point of {@code promptbatch}. */
public final class PromptbatchMain {

	private PromptbatchMain() {
	}

	public static void main(String[] args) {
		// On a machine with 2 cores the common fork-join pool has a parallelism of 1, and then every
		// CompletableFuture stage run "async" without an executor (the JDK's HTTP client has such stages)
		// gets a new thread of its own: one thread started per request. Two workers avoid that.
		if (System.getProperty("java.util.concurrent.ForkJoinPool.common.parallelism") == null) {
			System.setProperty("java.util.concurrent.ForkJoinPool.common.parallelism",
					Integer.toString(Math.max(2, Runtime.getRuntime().availableProcessors() - 1)));
		}
		int code = PromptbatchCommand.execute(System.getenv(), new java.io.PrintWriter(System.out, true),
				new java.io.PrintWriter(System.err, true), args);
		System.exit(code);
	}
}
