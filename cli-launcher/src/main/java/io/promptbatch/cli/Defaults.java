package io.promptbatch.cli;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Defaults for options not given on the command line, in this order: the environment
 * ({@code PROMPTBATCH_CONCURRENCY}, {@code PROMPTBATCH_STATE_DIR}, ...: the long option name in
 * capitals with dashes as underscores), then a properties file ({@code --config FILE} or
 * {@code PROMPTBATCH_CONFIG}; keys are long option names, optionally prefixed with the command:
 * {@code concurrency=32}, {@code run.max-retries=8}), then the built-in defaults. The API key is never
 * read from the file.
 */
final class Defaults implements IDefaultValueProvider {

	private final Map<String, String> environment;
	private final Properties file;

	private Defaults(Map<String, String> environment, Properties file) {
		this.environment = environment;
		this.file = file;
	}

	static Defaults of(Map<String, String> environment, String[] args) {
		String config = null;
		for (int i = 0; i < args.length; i++) {
			if (args[i].equals("--config") && i + 1 < args.length) {
				config = args[i + 1];
			}
			else if (args[i].startsWith("--config=")) {
				config = args[i].substring("--config=".length());
			}
		}
		if (config == null) {
			config = environment.get("PROMPTBATCH_CONFIG");
		}
		Properties properties = new Properties();
		if (config != null) {
			Path path = Path.of(config);
			try (Reader r = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
				properties.load(r);
			}
			catch (NoSuchFileException e) {
				throw new PromptbatchCommand.UsageException(path + ": config file not found");
			}
			catch (IOException | IllegalArgumentException e) {
				throw new PromptbatchCommand.UsageException(path + ": cannot read the config file (" + e.getMessage()
						+ "); write one 'option=value' per line, e.g. concurrency=32");
			}
		}
		return new Defaults(environment, properties);
	}

	@Override
	public @Nullable String defaultValue(ArgSpec arg) {
		if (!(arg instanceof OptionSpec option) || option.longestName().equals("--config")) {
			return null;
		}
		String name = option.longestName().replaceFirst("^-+", "");
		String env = environment.get("PROMPTBATCH_" + name.toUpperCase(Locale.ROOT).replace('-', '_'));
		if (env != null && !env.isBlank()) {
			return env;
		}
		String command = option.command() == null ? "" : option.command().name();
		String value = file.getProperty(command + "." + name);
		return value != null ? value : file.getProperty(name);
	}
}
