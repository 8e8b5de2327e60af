package io.promptbatch.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.core.FileAppender;
import java.nio.file.Path;
import org.slf4j.LoggerFactory;

/**
 * Job commands log to {@code <state-dir>/promptbatch.log}; the terminal gets only promptbatch's own
 * messages (start, summary, what to do), so that a long run's retries do not flood it.
 */
final class LoggingSetup {

	private LoggingSetup() {
	}

	static void toFile(Path file) {
		if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
			return;
		}
		Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
		if (root.getAppender("FILE") instanceof FileAppender<?> existing) {
			if (file.toString().equals(existing.getFile())) {
				return;
			}
			root.detachAppender("FILE");
			existing.stop();
		}
		PatternLayoutEncoder encoder = new PatternLayoutEncoder();
		encoder.setContext(context);
		encoder.setPattern("%d{yyyy-MM-dd HH:mm:ss.SSS} %-5level [%thread] %logger{36} - %msg%n");
		encoder.start();
		FileAppender<ch.qos.logback.classic.spi.ILoggingEvent> appender = new FileAppender<>();
		appender.setContext(context);
		appender.setName("FILE");
		appender.setFile(file.toString());
		appender.setAppend(true);
		appender.setEncoder(encoder);
		appender.start();
		root.detachAppender(ConsoleLogging.APPENDER);
		root.addAppender(appender);
		root.setLevel(Level.INFO);
	}
}
