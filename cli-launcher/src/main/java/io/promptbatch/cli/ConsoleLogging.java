package io.promptbatch.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.filter.ThresholdFilter;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.spi.ContextAwareBase;

/**
 * promptbatch's logging before a command picks its log file: warnings and errors to the terminal (standard
 * error), Spring's and Hikari's INFO messages left out. Configured in code, found by logback through
 * {@code META-INF/services}: reading an XML configuration took a tenth of a second of every start (an XML
 * parser and logback's configuration language loaded for a dozen lines).
 *
 * <p>{@code -Dpromptbatch.console.level=INFO} (in {@code PROMPTBATCH_JAVA_OPTS}) lets more through to the
 * terminal. A configuration file of one's own still wins: with {@code -Dlogback.configurationFile=...}, or a
 * {@code logback-test.xml} on the class path (the tests), this configurator steps aside.
 */
public final class ConsoleLogging extends ContextAwareBase implements Configurator {

	/** The system property that sets the lowest level shown on the terminal (default {@code WARN}). */
	public static final String LEVEL_PROPERTY = "promptbatch.console.level";

	/** The appender's name; a job command replaces it with its log file. */
	static final String APPENDER = "STDERR";

	private final boolean fileGiven;

	/** The configurator logback finds as a service. */
	public ConsoleLogging() {
		this(System.getProperty("logback.configurationFile") != null
				|| ConsoleLogging.class.getClassLoader().getResource("logback-test.xml") != null);
	}

	ConsoleLogging(boolean fileGiven) {
		this.fileGiven = fileGiven;
	}

	@Override
	public ExecutionStatus configure(LoggerContext context) {
		if (fileGiven) {
			return ExecutionStatus.INVOKE_NEXT_IF_ANY;
		}
		ThresholdFilter threshold = new ThresholdFilter();
		// a level logback does not know would otherwise mean DEBUG: everything on the terminal
		threshold.setLevel(Level.toLevel(System.getProperty(LEVEL_PROPERTY), Level.WARN).levelStr);
		threshold.start();
		PatternLayoutEncoder encoder = new PatternLayoutEncoder();
		encoder.setContext(context);
		encoder.setPattern("%d{HH:mm:ss.SSS} %-5level %logger{30} - %msg%n");
		encoder.start();
		ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
		console.setContext(context);
		console.setName(APPENDER);
		console.setTarget("System.err");
		console.addFilter(threshold);
		console.setEncoder(encoder);
		console.start();
		context.getLogger("org.springframework").setLevel(Level.WARN);
		context.getLogger("com.zaxxer.hikari").setLevel(Level.WARN);
		Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
		root.setLevel(Level.INFO);
		root.addAppender(console);
		return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
	}
}
