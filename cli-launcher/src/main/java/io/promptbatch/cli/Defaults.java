package io.promptbatch.cli;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Defaults for options not given on the command line, in this order: the environment
 * ({@code PROMPTBATCH_CONCURRENCY}, {@code PROMPTBATCH_STATE_DIR}, ...: the long option name in
 * capitals with dashes as underscores), then a properties file ({@code --config FILE} or
 * {@code PROMPTBATCH_CONFIG}; keys are long option names, optionally prefixed with the command:
 * {@code concurrency=32}, {@code run.max-retries=8}), then the built-in defaults. The API key is never
 * read from the file. A key of the file that names no option is refused, and a value that is not
 * valid is reported with where it came from.
 */
final class Defaults implements IDefaultValueProvider {

	private final Map<String, String> environment;
	private final @Nullable Path path;
	private final Properties file;
	/** The line of the file each key is on. */
	private final Map<String, Integer> lines;

	private Defaults(Map<String, String> environment, @Nullable Path path, Properties file, Map<String, Integer> lines) {
		this.environment = environment;
		this.path = path;
		this.file = file;
		this.lines = lines;
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
		if (config == null) {
			return new Defaults(environment, null, properties, Map.of());
		}
		Path path = Path.of(config);
		String text;
		try {
			text = Files.readString(path, StandardCharsets.UTF_8);
			properties.load(new StringReader(text));
		}
		catch (NoSuchFileException e) {
			throw new PromptbatchCommand.UsageException(path + ": config file not found");
		}
		catch (IOException | IllegalArgumentException e) {
			throw new PromptbatchCommand.UsageException(path + ": cannot read the config file (" + e.getMessage()
					+ "); write one 'option=value' per line, e.g. concurrency=32");
		}
		return new Defaults(environment, path, properties, keyLines(text));
	}

	@Override
	public @Nullable String defaultValue(ArgSpec arg) {
		if (!(arg instanceof OptionSpec option) || option.longestName().equals("--config")) {
			return null;
		}
		String env = environment.get(variable(option));
		if (env != null && !env.isBlank()) {
			return env;
		}
		String key = fileKey(option);
		return key == null ? null : file.getProperty(key);
	}

	/**
	 * Where the value of an option not given on the command line comes from ("the environment variable
	 * PROMPTBATCH_CONCURRENCY", "promptbatch.properties line 3"), or null when it is the built-in default.
	 */
	@Nullable String sourceOf(OptionSpec option) {
		String variable = variable(option);
		String env = environment.get(variable);
		if (env != null && !env.isBlank()) {
			return "the environment variable " + variable;
		}
		String key = fileKey(option);
		if (key == null) {
			return null;
		}
		Integer line = lines.get(key);
		return path + (line != null ? " line " + line : "") + " (" + key + ")";
	}

	/**
	 * Refuses keys of the config file that name no option of the command they are meant for (any
	 * command's, without a prefix), naming the line and the closest option.
	 */
	void checkKeys(CommandLine root) {
		if (file.isEmpty()) {
			return;
		}
		Map<String, Set<String>> byCommand = new LinkedHashMap<>();
		Set<String> all = new TreeSet<>();
		for (CommandLine sub : root.getSubcommands().values()) {
			Set<String> names = optionNames(sub.getCommandSpec());
			byCommand.put(sub.getCommandName(), names);
			all.addAll(names);
		}
		all.addAll(optionNames(root.getCommandSpec()));
		List<String> keys = new ArrayList<>(file.stringPropertyNames());
		keys.sort((a, b) -> Integer.compare(lines.getOrDefault(a, 0), lines.getOrDefault(b, 0)));
		for (String key : keys) {
			int dot = key.indexOf('.');
			String command = dot > 0 ? key.substring(0, dot) : null;
			Set<String> known = command != null && byCommand.containsKey(command) ? byCommand.get(command) : all;
			String name = command != null && byCommand.containsKey(command) ? key.substring(dot + 1) : key;
			if (known.contains(name)) {
				continue;
			}
			Integer line = lines.get(key);
			String closest = closest(name, known);
			throw new PromptbatchCommand.UsageException(path + (line != null ? " line " + line : "") + ": '" + key
					+ "' is not an option" + (command != null && byCommand.containsKey(command) ? " of '" + command + "'" : "")
					+ (closest != null ? "; did you mean " + (name.equals(key) ? "" : command + ".") + closest + "?"
							: "; keys are long option names without the dashes, e.g. concurrency=32"));
		}
	}

	private static Set<String> optionNames(CommandSpec spec) {
		Set<String> names = new TreeSet<>();
		for (OptionSpec option : spec.options()) {
			for (String n : option.names()) {
				if (n.startsWith("--")) {
					names.add(n.substring(2));
				}
			}
		}
		return names;
	}

	/** The known name closest to the given one, when it is close enough to be a slip. */
	static @Nullable String closest(String name, Set<String> known) {
		String best = null;
		int bestDistance = Integer.MAX_VALUE;
		for (String candidate : known) {
			int d = io.promptbatch.core.prompt.Spelling.distance(name.toLowerCase(Locale.ROOT), candidate);
			if (d < bestDistance) {
				best = candidate;
				bestDistance = d;
			}
		}
		return best != null && bestDistance <= Math.max(2, name.length() / 3) ? best : null;
	}

	private static String variable(OptionSpec option) {
		return "PROMPTBATCH_" + option.longestName().replaceFirst("^-+", "").toUpperCase(Locale.ROOT).replace('-', '_');
	}

	/** The key of the file that gives this option's value, the command's own first; null when none does. */
	private @Nullable String fileKey(OptionSpec option) {
		String name = option.longestName().replaceFirst("^-+", "");
		String command = option.command() == null ? "" : option.command().name();
		if (file.getProperty(command + "." + name) != null) {
			return command + "." + name;
		}
		return file.getProperty(name) != null ? name : null;
	}

	/** The line each key of a properties text is on (keys as {@link Properties} reads them, escapes aside). */
	private static Map<String, Integer> keyLines(String text) {
		Map<String, Integer> lines = new LinkedHashMap<>();
		String[] all = text.split("\r\n|\r|\n", -1);
		boolean continued = false;
		for (int i = 0; i < all.length; i++) {
			String line = all[i];
			boolean wasContinued = continued;
			int backslashes = 0;
			for (int j = line.length() - 1; j >= 0 && line.charAt(j) == '\\'; j--) {
				backslashes++;
			}
			String stripped = line.stripLeading();
			boolean comment = !wasContinued && (stripped.startsWith("#") || stripped.startsWith("!"));
			continued = !comment && backslashes % 2 == 1;
			if (wasContinued || comment || stripped.isEmpty()) {
				continue;
			}
			StringBuilder key = new StringBuilder();
			for (int j = 0; j < stripped.length(); j++) {
				char c = stripped.charAt(j);
				if (c == '\\' && j + 1 < stripped.length()) {
					key.append(stripped.charAt(++j));
				}
				else if (c == '=' || c == ':' || Character.isWhitespace(c)) {
					break;
				}
				else {
					key.append(c);
				}
			}
			lines.put(key.toString(), i + 1);
		}
		return lines;
	}
}
