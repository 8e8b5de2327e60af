package io.promptbatch.cli;

/** Entry point of {@code promptbatch}. */
public final class PromptbatchMain {

	private PromptbatchMain() {
	}

	public static void main(String[] args) {
		int code = PromptbatchCommand.execute(System.getenv(), new java.io.PrintWriter(System.out, true),
				new java.io.PrintWriter(System.err, true), args);
		System.exit(code);
	}
}
