package io.promptbatch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class HelpSectionsTests {

	private static String help(int width, String... command) {
		CommandLine cl = PromptbatchCommand.commandLine(Map.of());
		for (String name : command) {
			cl = cl.getSubcommands().get(name);
		}
		cl.getCommandSpec().usageMessage().autoWidth(false).width(width);
		StringWriter out = new StringWriter();
		cl.usage(new PrintWriter(out, true));
		return out.toString();
	}

	private static Set<String> words(String text) {
		return new TreeSet<>(Arrays.asList(text.strip().split("\\s+")));
	}

	@Test
	void runHelpAtEightyColumnsBreaksLinesOnlyAtSpaces() {
		// given: the help where nothing needs breaking, and at 80 columns
		String wide = help(400, "run");
		String narrow = help(80, "run");

		// then: the same words, none cut in two (picocli broke kimi-k2.5 after "kimi-k2." and file names at dots)
		assertThat(narrow.lines()).allSatisfy(line -> assertThat(line.length()).isLessThanOrEqualTo(80));
		assertThat(words(narrow)).isEqualTo(words(wide));
		assertThat(words(narrow)).contains("kimi-k2.5", "sample-data/prompts.csv", "<output>.rejects.jsonl,",
				"<output>.report.html", "kimi-k2-thinking-turbo,");
		assertThat(narrow).contains("(default:\n                               .promptbatch).");
	}

	@Test
	void everyCommandsHelpKeepsItsWordsWhole() {
		for (String command : List.of("resume", "runs", "estimate", "report", "simulator")) {
			assertThat(words(help(80, command))).as(command).isEqualTo(words(help(400, command)));
		}
	}

	@Test
	void theTopLevelCommandListEndsEachDescriptionAtASentenceBoundary() {
		// when
		String help = help(80);

		// then: each command's description, its wrapped lines joined, is whole sentences
		String list = help.substring(help.indexOf("Commands:\n") + "Commands:\n".length(), help.indexOf("\n\n",
				help.indexOf("Commands:")));
		List<String> descriptions = new ArrayList<>();
		for (String line : list.split("\n")) {
			if (line.startsWith("  ") && !line.startsWith("   ")) {
				descriptions.add(line.substring(13).strip());
			}
			else {
				descriptions.set(descriptions.size() - 1, descriptions.get(descriptions.size() - 1) + " " + line.strip());
			}
		}
		assertThat(descriptions).hasSize(9).allSatisfy(d -> assertThat(d).endsWith("."));
		assertThat(descriptions.get(1)).isEqualTo("Continues the most recent failed or stopped run of the state "
				+ "directory (or the given run) from its last commit, with the settings it was started with.");
	}

	@Test
	void wrapBreaksAtSpacesWithAHangingIndent() {
		assertThat(HelpSections.wrap("one two three four", 10, 0, 2)).isEqualTo("one two\n  three\n  four\n");
		assertThat(HelpSections.wrap("a kimi-k2-thinking-turbo b", 10, 0, 0)).isEqualTo("a\nkimi-k2-thinking-turbo\nb\n");
	}
}
