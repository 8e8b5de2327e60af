package io.promptbatch.cli;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Help;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.UsageMessageSpec;

/**
 * The help's prose sections (description, options, commands, footer) wrapped at spaces only. picocli
 * breaks lines wherever Java's line breaker allows, which is after every hyphen and inside names
 * such as {@code kimi-k2.5}, {@code <output>.rejects.jsonl} and {@code .promptbatch}: copied from the
 * terminal they no longer work. The command list shows each command's first sentence.
 */
final class HelpSections {

	/** Where option descriptions start at most, as in picocli's own layout. */
	private static final int DESCRIPTION_COLUMN = 29;

	private HelpSections() {
	}

	/** Installs the sections on a command line and all its subcommands. */
	static void install(CommandLine cl) {
		Map<String, CommandLine.IHelpSectionRenderer> sections = cl.getHelpSectionMap();
		sections.put(UsageMessageSpec.SECTION_KEY_DESCRIPTION, HelpSections::description);
		sections.put(UsageMessageSpec.SECTION_KEY_OPTION_LIST, HelpSections::options);
		sections.put(UsageMessageSpec.SECTION_KEY_COMMAND_LIST, HelpSections::commands);
		sections.put(UsageMessageSpec.SECTION_KEY_FOOTER, HelpSections::footer);
		cl.setHelpSectionMap(sections);
		for (CommandLine sub : cl.getSubcommands().values()) {
			install(sub);
		}
	}

	private static int width(Help help) {
		return help.commandSpec().usageMessage().width();
	}

	private static String description(Help help) {
		StringBuilder b = new StringBuilder();
		for (String paragraph : paragraphs(help.commandSpec().usageMessage().description())) {
			b.append(wrap(paragraph, width(help), 0, 0));
		}
		return b.toString();
	}

	private static String options(Help help) {
		CommandSpec spec = help.commandSpec();
		List<OptionSpec> options = new ArrayList<>();
		for (OptionSpec o : spec.options()) {
			if (!o.hidden()) {
				options.add(o);
			}
		}
		if (spec.usageMessage().sortOptions()) {
			options.sort(Comparator.comparing(o -> o.shortestName().replaceFirst("^-+", "").toLowerCase(Locale.ROOT)));
		}
		List<String> labels = new ArrayList<>();
		int longest = 0;
		for (OptionSpec o : options) {
			String label = label(o);
			labels.add(label);
			longest = Math.max(longest, label.length());
		}
		int column = Math.min(longest + 2, DESCRIPTION_COLUMN);
		StringBuilder b = new StringBuilder();
		for (int i = 0; i < options.size(); i++) {
			String label = labels.get(i);
			String text = String.join(" ", options.get(i).renderedDescription()).strip();
			if (label.length() >= column) {
				b.append(label).append('\n');
				label = "";
			}
			String wrapped = wrap(text, width(help) - column, 0, 2);
			String indent = " ".repeat(column);
			String[] lines = wrapped.split("\n", -1);
			for (int j = 0; j < lines.length - 1; j++) {
				b.append(j == 0 ? label + " ".repeat(column - label.length()) : indent).append(lines[j]).append('\n');
			}
		}
		return b.toString();
	}

	/** {@code -q, --quiet}, {@code     --input=FILE}: as picocli writes option names. */
	private static String label(OptionSpec o) {
		String shortName = null;
		String longName = null;
		for (String name : o.names()) {
			if (name.startsWith("--")) {
				longName = name;
			}
			else {
				shortName = name;
			}
		}
		StringBuilder b = new StringBuilder("  ");
		b.append(shortName != null ? shortName + (longName != null ? ", " : "  ") : "    ");
		if (longName != null) {
			b.append(longName);
		}
		if (o.arity().max() > 0) {
			b.append('=').append(o.paramLabel());
		}
		return b.toString();
	}

	private static String commands(Help help) {
		Map<String, CommandLine> subcommands = help.commandSpec().subcommands();
		if (subcommands.isEmpty()) {
			return "";
		}
		int column = 2 + subcommands.keySet().stream().mapToInt(String::length).max().orElse(0) + 2;
		StringBuilder b = new StringBuilder();
		subcommands.forEach((name, sub) -> {
			if (sub.getCommandSpec().usageMessage().hidden()) {
				return;
			}
			UsageMessageSpec usage = sub.getCommandSpec().usageMessage();
			List<String> text = paragraphs(usage.header().length > 0 ? usage.header() : usage.description());
			if (text.isEmpty()) {
				return;
			}
			String[] lines = wrap(firstSentence(text.get(0)), width(help) - column, 0, 2).split("\n", -1);
			for (int j = 0; j < lines.length - 1; j++) {
				String lead = j == 0 ? "  " + name : "";
				b.append(lead).append(" ".repeat(column - lead.length())).append(lines[j]).append('\n');
			}
		});
		return b.toString();
	}

	/**
	 * The paragraphs of a section's lines: lines are joined with spaces, and picocli's {@code %n} starts a
	 * new paragraph.
	 */
	private static List<String> paragraphs(String[] lines) {
		List<String> paragraphs = new ArrayList<>();
		for (String paragraph : String.join(" ", lines).split("%n")) {
			if (!paragraph.isBlank()) {
				paragraphs.add(paragraph.strip());
			}
		}
		return paragraphs;
	}

	/** The text up to the end of its first sentence: a full stop followed by a space, or the end. */
	static String firstSentence(String text) {
		int end = text.indexOf(". ");
		return end < 0 ? text : text.substring(0, end + 1);
	}

	private static String footer(Help help) {
		StringBuilder b = new StringBuilder();
		for (String line : String.join("\n", help.commandSpec().usageMessage().footer()).replace("%n", "\n")
			.split("\n", -1)) {
			int lead = line.length() - line.stripLeading().length();
			b.append(line.isBlank() ? "\n" : wrap(line.strip(), width(help), lead, lead + 2));
		}
		return b.toString();
	}

	/**
	 * The text in lines at most {@code width} long, broken at spaces only (a word longer than a line gets
	 * a line of its own), the first indented by {@code first} spaces and the rest by {@code rest}; each
	 * line ends with a line break.
	 */
	static String wrap(String text, int width, int first, int rest) {
		StringBuilder out = new StringBuilder();
		StringBuilder line = new StringBuilder(" ".repeat(first));
		int indent = first;
		for (String word : text.split(" +")) {
			if (line.length() > indent && line.length() + 1 + word.length() > width) {
				out.append(line).append('\n');
				indent = rest;
				line = new StringBuilder(" ".repeat(rest));
			}
			if (line.length() > indent) {
				line.append(' ');
			}
			line.append(word);
		}
		return out.append(line).append('\n').toString();
	}
}
