package io.promptbatch.core.score;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The scores of an answer's choices, in choice order: 1, 0, or null for a choice that could not be
 * scored (no expected value where one is needed). A choice without text (a tool call, a refusal) is
 * scored as empty text, as the first choice's empty answer always was.
 *
 * @param each one score per choice
 */
public record ChoiceScores(List<@Nullable Integer> each) {

	public ChoiceScores {
		each = Collections.unmodifiableList(new ArrayList<>(each));
	}

	/** Scores each answer (null: no text) with a scorer against one expected value. */
	public static ChoiceScores of(Scorer scorer, List<@Nullable String> answers, @Nullable String expected) {
		List<@Nullable Integer> each = new ArrayList<>();
		answers.forEach(a -> each.add(scorer.score(a == null ? "" : a, expected)));
		return new ChoiceScores(each);
	}

	/** The first choice's score (pass@1), or null. */
	public @Nullable Integer first() {
		return each.isEmpty() ? null : each.get(0);
	}

	/** 1 when any choice passes (pass@n), 0 when some were scored and none passed, null when none was scored. */
	public @Nullable Integer any() {
		Integer any = null;
		for (Integer s : each) {
			if (s != null) {
				any = any == null ? s : Math.max(any, s);
			}
		}
		return any;
	}
}
