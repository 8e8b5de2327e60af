package io.promptbatch.core.prompt;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A user message with {@code {{name}}} variables, rendered from a record's columns or fields.
 */
public final class PromptTemplate {

	private static final Pattern VARIABLE = Pattern.compile("\\{\\{\\s*([^{}\\s]+)\\s*}}");

	private final String text;

	private final List<Object> parts;

	private final Set<String> variables;

	private PromptTemplate(String text) {
		this.text = text;
		List<Object> parsed = new ArrayList<>();
		Set<String> names = new LinkedHashSet<>();
		Matcher m = VARIABLE.matcher(text);
		int last = 0;
		while (m.find()) {
			parsed.add(text.substring(last, m.start()));
			parsed.add(new Variable(m.group(1)));
			names.add(m.group(1));
			last = m.end();
		}
		parsed.add(text.substring(last));
		this.parts = List.copyOf(parsed);
		this.variables = Collections.unmodifiableSet(names);
	}

	public static PromptTemplate of(String text) {
		return new PromptTemplate(text);
	}

	/** The variable names, in order of first use. */
	public Set<String> variables() {
		return variables;
	}

	/**
	 * Renders the template.
	 * @throws IllegalArgumentException naming the first variable that {@code values} lacks
	 */
	public String render(Map<String, String> values) {
		StringBuilder sb = new StringBuilder(text.length() + 64);
		for (Object part : parts) {
			if (part instanceof Variable v) {
				String value = values.get(v.name());
				if (value == null) {
					throw new IllegalArgumentException("template variable {{" + v.name() + "}} has no value");
				}
				sb.append(value);
			}
			else {
				sb.append((String) part);
			}
		}
		return sb.toString();
	}

	@Override
	public String toString() {
		return text;
	}

	private record Variable(String name) {
	}
}
