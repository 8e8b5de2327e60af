package io.promptbatch.cli;

/** Entry point of {@code promptbatch}. */
public final class PromptbatchMain {

	private PromptbatchMain() {
	}

	public static void main(String[] args) {
		// promptbatch configures its own logging; keep Spring Boot from replacing it
		System.setProperty("org.springframework.boot.logging.LoggingSystem", "none");
		int code = PromptbatchCommand.commandLine(System.getenv()).execute(args);
		System.exit(code);
	}
}
