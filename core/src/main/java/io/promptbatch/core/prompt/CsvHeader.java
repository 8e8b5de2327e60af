package io.promptbatch.core.prompt;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A CSV file's header row: the delimiter its first line shows, and which column holds each field that has
 * a meaning of its own, matched ignoring case and surrounding spaces ({@code Prompt}, {@code " prompt"} and
 * {@code PROMPT} are the prompt column). The other columns are carried to the output under their own
 * names; {@code expected} is carried under that name, as scoring and the report look for it.
 */
final class CsvHeader {

	/** The columns that are read as the record's own fields rather than carried. */
	private static final List<String> OWN = List.of("id", "system", "model", "temperature", "max_tokens");

	private static final String EXPECTED = "expected";

	private static final String PROMPT = "prompt";

	/**
	 * A column carried to the output.
	 *
	 * @param name its name in the output
	 * @param index its position in a record
	 */
	record Carried(String name, int index) {
	}

	private final Map<String, Integer> own = new LinkedHashMap<>();
	private final List<Carried> carried = new ArrayList<>();
	private final Map<String, Integer> variables = new LinkedHashMap<>();
	private final int prompt;

	/**
	 * Matches {@code names} (the header row) to what the reader needs.
	 * @param delimiterNote how the delimiter was chosen, when not by the extension (named in messages), or null
	 * @throws InputException when the prompt column or a template variable is missing, or two columns are the same
	 *     field
	 */
	CsvHeader(Path file, List<String> names, @Nullable PromptTemplate template, @Nullable String delimiterNote) {
		String columns = "columns are " + quoted(names) + (delimiterNote == null ? "" : ", read as " + delimiterNote);
		Map<String, Integer> byKey = new LinkedHashMap<>();
		for (int i = 0; i < names.size(); i++) {
			String key = key(names.get(i));
			Integer first = byKey.putIfAbsent(key, i);
			if (first != null && (OWN.contains(key) || key.equals(PROMPT) || key.equals(EXPECTED))) {
				throw new InputException(file, 1, "columns " + quoted(names.get(first)) + " and " + quoted(names.get(i))
						+ " are both the '" + key + "' column; rename or remove one");
			}
		}
		for (String field : OWN) {
			Integer index = byKey.get(field);
			if (index != null) {
				own.put(field, index);
			}
		}
		Integer promptIndex = byKey.get(PROMPT);
		if (template == null && promptIndex == null) {
			String near = nearMiss(PROMPT, names);
			throw new InputException(file, 1, near == null
					? "no 'prompt' column (" + columns + "); add one, or render prompts with --template"
					: "no 'prompt' column; did you mean " + quoted(near) + "? (" + columns + "); rename it to prompt, "
							+ "or render prompts with --template");
		}
		this.prompt = template == null ? promptIndex : -1;
		if (template != null) {
			for (String variable : template.variables()) {
				variables.put(variable, column(file, names, variable, columns));
			}
		}
		for (int i = 0; i < names.size(); i++) {
			String key = key(names.get(i));
			if (!OWN.contains(key) && i != prompt) {
				carried.add(new Carried(key.equals(EXPECTED) ? EXPECTED : names.get(i), i));
			}
		}
	}

	/** The position of the column of {@code field} ("id", "system", "model", "temperature", "max_tokens"), or -1. */
	int indexOf(String field) {
		return own.getOrDefault(field, -1);
	}

	/** The position of the prompt column; -1 with a template. */
	int prompt() {
		return prompt;
	}

	List<Carried> carried() {
		return carried;
	}

	/** The position of each template variable's column. */
	Map<String, Integer> variables() {
		return variables;
	}

	/** A template variable's column: the one of that name, else the one only that differs in case or spaces. */
	private static int column(Path file, List<String> names, String variable, String columns) {
		int exact = names.indexOf(variable);
		if (exact >= 0) {
			return exact;
		}
		int found = -1;
		for (int i = 0; i < names.size(); i++) {
			if (key(names.get(i)).equals(key(variable))) {
				if (found >= 0) {
					throw new InputException(file, 1, "template variable {{" + variable + "}} could be the column "
							+ quoted(names.get(found)) + " or " + quoted(names.get(i)) + "; name one exactly");
				}
				found = i;
			}
		}
		if (found < 0) {
			String near = nearMiss(variable, names);
			throw new InputException(file, 1, "template variable {{" + variable + "}} is not a column"
					+ (near == null ? "" : "; did you mean " + quoted(near) + "?") + " (" + columns + ")");
		}
		return found;
	}

	/** How a column's name is compared: without case and surrounding spaces (a stray byte-order mark included). */
	static String key(String name) {
		return name.replaceAll("^[\\s\\u00A0\\uFEFF]+|[\\s\\u00A0\\uFEFF]+$", "").toLowerCase(Locale.ROOT);
	}

	/**
	 * The first name other than {@code wanted} that is close to it, ignoring case and surrounding spaces: that contains
	 * it or is two edits from it. Null when there is none.
	 */
	static @Nullable String nearMiss(String wanted, Iterable<String> names) {
		String w = key(wanted);
		for (String name : names) {
			String k = key(name);
			if (!k.isEmpty() && !name.equals(wanted) && (k.contains(w) || Spelling.distance(k, w) <= 2)) {
				return name;
			}
		}
		return null;
	}

	/** Names in quotes, so that spaces show: {@code ['id', ' prompt']}. */
	static String quoted(List<String> names) {
		List<String> q = new ArrayList<>(names.size());
		for (String n : names) {
			q.add(quoted(n));
		}
		return "[" + String.join(", ", q) + "]";
	}

	static String quoted(String name) {
		return "'" + name.replace("\t", "\\t").replace("\uFEFF", "\\uFEFF") + "'";
	}
}
