package io.promptbatch.core.score;

import java.util.Locale;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * How an answer is scored against a row's {@code expected} value: 1 (pass) or 0 (fail).
 */
public enum Scorer {

	/** The answer, trimmed, equals the expected text, trimmed (case-sensitive). */
	EXACT {
		@Override
		boolean passes(String answer, String expected) {
			return answer.strip().equals(expected.strip());
		}
	},

	/** The answer contains the expected text, ignoring case. */
	CONTAINS {
		@Override
		boolean passes(String answer, String expected) {
			return answer.toLowerCase(Locale.ROOT).contains(expected.strip().toLowerCase(Locale.ROOT));
		}
	},

	/** The expected text is a regular expression found somewhere in the answer. */
	REGEX {
		@Override
		boolean passes(String answer, String expected) {
			return Pattern.compile(expected).matcher(answer).find();
		}

		@Override
		public @Nullable String checkExpected(String expected) {
			try {
				Pattern.compile(expected);
				return null;
			}
			catch (PatternSyntaxException e) {
				return "'expected' is not a valid regular expression: " + e.getDescription();
			}
		}
	},

	/**
	 * The answer is JSON (a fenced {@code ```json} block is unwrapped); with an expected value, it
	 * equals the expected JSON (object key order does not matter).
	 */
	JSON {
		@Override
		boolean passes(String answer, String expected) {
			JsonNode actual = parse(unfence(answer));
			if (actual == null) {
				return false;
			}
			return expected.isBlank() || actual.equals(parse(expected));
		}

		@Override
		public boolean needsExpected() {
			return false;
		}

		@Override
		public @Nullable String checkExpected(String expected) {
			return expected.isBlank() || parse(expected) != null ? null : "'expected' is not valid JSON";
		}
	};

	private static final JsonMapper MAPPER = JsonMapper.builder()
		.enable(tools.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
		.build();

	abstract boolean passes(String answer, String expected);

	/**
	 * The score of an answer: 1 or 0, or null when the row cannot be scored (no answer, or no expected
	 * value where one is needed).
	 */
	public @Nullable Integer score(@Nullable String answer, @Nullable String expected) {
		if (answer == null) {
			return null;
		}
		String e = expected == null ? "" : expected;
		if (e.isBlank() && needsExpected()) {
			return null;
		}
		if (checkExpected(e) != null) {
			return 0;
		}
		return passes(answer, e) ? 1 : 0;
	}

	/** Whether rows need an {@code expected} value to be scored. */
	public boolean needsExpected() {
		return true;
	}

	/** What is wrong with an expected value, or null when it is usable. */
	public @Nullable String checkExpected(String expected) {
		return null;
	}

	/** The scorer named on the command line: exact, contains, regex or json. */
	public static Scorer of(String name) {
		try {
			return valueOf(name.strip().toUpperCase(Locale.ROOT));
		}
		catch (IllegalArgumentException e) {
			throw new IllegalArgumentException("unknown scorer '" + name + "'; use exact, contains, regex or json");
		}
	}

	public String id() {
		return name().toLowerCase(Locale.ROOT);
	}

	private static @Nullable JsonNode parse(String text) {
		try {
			JsonNode node = MAPPER.readTree(text);
			return node == null || node.isMissingNode() ? null : node;
		}
		catch (JacksonException e) {
			return null;
		}
	}

	private static String unfence(String answer) {
		String s = answer.strip();
		if (s.startsWith("```")) {
			int firstLine = s.indexOf('\n');
			int end = s.lastIndexOf("```");
			if (firstLine > 0 && end > firstLine) {
				return s.substring(firstLine + 1, end);
			}
		}
		return s;
	}
}
