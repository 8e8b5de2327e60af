package io.promptbatch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

class ConsoleLoggingTests {

	@Test
	void logbackFindsTheConfiguratorAsAService() {
		assertThat(ServiceLoader.load(Configurator.class).stream().map(p -> p.type().getName()))
			.contains(ConsoleLogging.class.getName());
	}

	@Test
	void theTerminalGetsWarningsAndErrorsButNoInfo() {
		String terminal = terminalOf(null, context -> {
			context.getLogger("io.promptbatch.batch.Example").info("an info line");
			context.getLogger("io.promptbatch.batch.Example").warn("a warning line");
			context.getLogger("org.springframework.batch.Example").info("a Spring info line");
			context.getLogger("org.springframework.batch.Example").error("a Spring error line");
		});
		assertThat(terminal).contains(" WARN  io.promptbatch.batch.Example - a warning line")
			.contains(" ERROR o.s.batch.Example - a Spring error line")
			.doesNotContain("an info line")
			.doesNotContain("a Spring info line");
	}

	@Test
	void theLevelPropertyLetsInfoThroughButNotSpringsInfo() {
		String terminal = terminalOf("INFO", context -> {
			context.getLogger("io.promptbatch.batch.Example").info("an info line");
			context.getLogger("org.springframework.batch.Example").info("a Spring info line");
			context.getLogger("com.zaxxer.hikari.Example").info("a Hikari info line");
		});
		assertThat(terminal).contains(" INFO  io.promptbatch.batch.Example - an info line")
			.doesNotContain("a Spring info line")
			.doesNotContain("a Hikari info line");
	}

	@Test
	void aLevelLogbackDoesNotKnowMeansWarnNotEverything() {
		String terminal = terminalOf("verbose", context -> {
			context.getLogger("io.promptbatch.batch.Example").info("an info line");
			context.getLogger("io.promptbatch.batch.Example").warn("a warning line");
		});
		assertThat(terminal).contains("a warning line").doesNotContain("an info line");
	}

	@Test
	void aConfigurationFileOfOnesOwnWins() {
		LoggerContext context = new LoggerContext();
		assertThat(new ConsoleLogging(true).configure(context)).isEqualTo(Configurator.ExecutionStatus.INVOKE_NEXT_IF_ANY);
		assertThat(context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).iteratorForAppenders().hasNext()).isFalse();
	}

	private static String terminalOf(String level, java.util.function.Consumer<LoggerContext> logging) {
		PrintStream original = System.err;
		ByteArrayOutputStream captured = new ByteArrayOutputStream();
		String before = System.getProperty(ConsoleLogging.LEVEL_PROPERTY);
		try {
			System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
			if (level != null) {
				System.setProperty(ConsoleLogging.LEVEL_PROPERTY, level);
			}
			LoggerContext context = new LoggerContext();
			context.setMDCAdapter(new ch.qos.logback.classic.util.LogbackMDCAdapter());
			assertThat(new ConsoleLogging(false).configure(context))
				.isEqualTo(Configurator.ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY);
			logging.accept(context);
			context.stop();
		}
		finally {
			System.setErr(original);
			if (before == null) {
				System.clearProperty(ConsoleLogging.LEVEL_PROPERTY);
			}
			else {
				System.setProperty(ConsoleLogging.LEVEL_PROPERTY, before);
			}
		}
		return captured.toString(StandardCharsets.UTF_8);
	}
}
