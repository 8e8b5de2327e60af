package io.promptbatch.core.prompt;

import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The field delimiter of a CSV file, taken from its header line: the extension's (a comma for {@code .csv}, a
 * tab for {@code .tsv}) when the header has it; otherwise the one the header has, preferring one that splits it
 * into the columns the run needs. So Excel's ";"-separated CSV (its format in most European locales) and
 * tab-separated text saved as {@code .csv} are read as what they are, and the start line says so.
 *
 * @param delimiter the delimiter
 * @param note what was assumed ("';'-separated", "tab-separated"), or null when it is the extension's
 */
record CsvDelimiter(char delimiter, @Nullable String note) {

	private static final char[] CANDIDATES = { ',', '\t', ';' };

	/**
	 * Chooses the delimiter of a file whose first line is {@code header}.
	 * @param tsv the file is named {@code .tsv}
	 * @param template the run's template (its variables are the columns needed), or null (then a prompt column is)
	 */
	static CsvDelimiter of(String header, boolean tsv, @Nullable PromptTemplate template) {
		char usual = tsv ? '\t' : ',';
		if (count(header, usual) > 0) {
			return new CsvDelimiter(usual, null);
		}
		char best = 0;
		int most = 0;
		for (char c : CANDIDATES) {
			int n = c == usual ? 0 : count(header, c);
			if (n == 0) {
				continue;
			}
			if (namesWhatIsNeeded(split(header, c), template)) {
				return new CsvDelimiter(c, describe(c));
			}
			if (n > most) {
				best = c;
				most = n;
			}
		}
		return best == 0 ? new CsvDelimiter(usual, null) : new CsvDelimiter(best, describe(best));
	}

	/** The delimiter in words, for messages: "comma", "';'", "tab". */
	String inWords() {
		return delimiter == ',' ? "comma" : delimiter == '\t' ? "tab" : "'" + delimiter + "'";
	}

	private static String describe(char c) {
		return c == ',' ? "comma-separated" : c == '\t' ? "tab-separated" : "'" + c + "'-separated";
	}

	private static boolean namesWhatIsNeeded(List<String> names, @Nullable PromptTemplate template) {
		List<String> keys = new ArrayList<>(names.size());
		for (String n : names) {
			keys.add(CsvHeader.key(n));
		}
		if (template == null) {
			return keys.contains("prompt");
		}
		for (String v : template.variables()) {
			if (!keys.contains(CsvHeader.key(v))) {
				return false;
			}
		}
		return true;
	}

	/** How often {@code c} occurs outside double quotes. */
	private static int count(String line, char c) {
		return split(line, c).size() - 1;
	}

	/** The line's fields split at {@code c} outside double quotes, with the quotes removed. */
	private static List<String> split(String line, char c) {
		List<String> fields = new ArrayList<>();
		StringBuilder field = new StringBuilder();
		boolean quoted = false;
		for (int i = 0; i < line.length(); i++) {
			char ch = line.charAt(i);
			if (ch == '"') {
				quoted = !quoted;
			}
			else if (ch == c && !quoted) {
				fields.add(field.toString());
				field.setLength(0);
			}
			else {
				field.append(ch);
			}
		}
		fields.add(field.toString());
		return fields;
	}
}
