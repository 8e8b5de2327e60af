package io.promptbatch.cli;

/** Entry point of {@code promptbatch}. */
public final class PromptbatchMain {

	private PromptbatchMain() {
	}

	public static void main(String[] args) {
		int code = PromptbatchCommand.commandLine(System.getenv()).execute(args);
		System.exit(code);
	}
}
