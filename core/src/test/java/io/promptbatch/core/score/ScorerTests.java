package io.promptbatch.core.score;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ScorerTests {

	@Test
	void exactComparesTrimmedTextCaseSensitively() {
		assertThat(Scorer.EXACT.score("  Paris\n", "Paris")).isEqualTo(1);
		assertThat(Scorer.EXACT.score("paris", "Paris")).isEqualTo(0);
		assertThat(Scorer.EXACT.score("Paris, France", "Paris")).isEqualTo(0);
	}

	@Test
	void containsLooksForTheExpectedTextIgnoringCase() {
		assertThat(Scorer.CONTAINS.score("The capital is PARIS.", "paris")).isEqualTo(1);
		assertThat(Scorer.CONTAINS.score("The capital is Lyon.", "Paris")).isEqualTo(0);
	}

	@Test
	void regexFindsThePatternAnywhereAndFailsOnABadPattern() {
		assertThat(Scorer.REGEX.score("Answer: 42.", "\\b4\\d\\b")).isEqualTo(1);
		assertThat(Scorer.REGEX.score("Answer: 17.", "\\b4\\d\\b")).isEqualTo(0);
		assertThat(Scorer.REGEX.score("anything", "(unclosed")).isEqualTo(0);
		assertThat(Scorer.REGEX.checkExpected("(unclosed")).contains("not a valid regular expression");
	}

	@Test
	void jsonNeedsValidJsonAndEqualsTheExpectedValueWhenGiven() {
		assertThat(Scorer.JSON.score("{\"a\": 1, \"b\": [true]}", "")).isEqualTo(1);
		assertThat(Scorer.JSON.score("```json\n{\"a\": 1}\n```", null)).isEqualTo(1);
		assertThat(Scorer.JSON.score("{\"b\": [true], \"a\": 1}", "{\"a\":1,\"b\":[true]}")).isEqualTo(1);
		assertThat(Scorer.JSON.score("{\"a\": 2}", "{\"a\": 1}")).isEqualTo(0);
		assertThat(Scorer.JSON.score("Sure! {\"a\": 1}", "")).isEqualTo(0);
	}

	@Test
	void aRowWithoutAnswerOrNeededExpectedValueIsNotScored() {
		assertThat(Scorer.EXACT.score(null, "x")).isNull();
		assertThat(Scorer.CONTAINS.score("answer", "")).isNull();
		assertThat(Scorer.CONTAINS.score("answer", null)).isNull();
	}

	@Test
	void namesTheScorersThereAre() {
		assertThat(Scorer.of(" Regex ")).isEqualTo(Scorer.REGEX);
		assertThatThrownBy(() -> Scorer.of("fuzzy")).hasMessageContaining("use exact, contains, regex or json");
	}
}
