package io.promptbatch.core.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.promptbatch.core.chat.Usage;
import io.promptbatch.core.score.ChoiceScores;
import io.promptbatch.core.score.Scorer;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class AnswerChoicesTests {

	private static final String BODY = """
			{"id":"c1","object":"chat.completion","created":1700000000,"model":"m","system_fingerprint":"fp_1",
			 "service_tier":"default",
			 "choices":[
			  {"index":0,"message":{"role":"assistant","content":null,"refusal":null,"annotations":[],
			   "tool_calls":[{"id":"call_1","type":"function","function":{"name":"lookup","arguments":"{\\"q\\":1}"}}]},
			   "logprobs":null,"finish_reason":"tool_calls","stop_reason":7},
			  {"index":1,"message":{"role":"assistant","content":"blue","reasoning_content":"think"},
			   "logprobs":{"content":[{"token":"blue","logprob":-0.5}]},"finish_reason":"stop"}],
			 "usage":{"prompt_tokens":3,"completion_tokens":9,"total_tokens":12,
			  "prompt_tokens_details":{"cached_tokens":2}}}
			""";

	@Test
	void everyChoiceAndEveryUnknownFieldIsDerivedFromTheBody() {
		// when
		AnswerChoices parts = AnswerChoices.of(new ChatResponse("c1", "m", "", null, "tool_calls", Usage.NONE, BODY));

		// then
		assertThat(parts.choices()).hasSize(2);
		AnswerChoices.Choice first = parts.first();
		assertThat(first.answer()).isNull();
		assertThat(first.toolCalls().at("/0/function/name").asString()).isEqualTo("lookup");
		assertThat(first.logprobs()).isNull();
		assertThat(first.extra().at("/message/annotations").isArray()).isTrue();
		assertThat(first.extra().at("/choice/stop_reason").asInt()).isEqualTo(7);
		AnswerChoices.Choice second = parts.choices().get(1);
		assertThat(second.answer()).isEqualTo("blue");
		assertThat(second.reasoning()).isEqualTo("think");
		assertThat(second.logprobs().at("/content/0/logprob").asDouble()).isEqualTo(-0.5);
		assertThat(second.extra()).isNull();
		assertThat(parts.systemFingerprint()).isEqualTo("fp_1");
		assertThat(parts.extra().get("created").asLong()).isEqualTo(1700000000L);
		assertThat(parts.extra().get("service_tier").asString()).isEqualTo("default");
		assertThat(parts.extra().at("/usage/prompt_tokens_details/cached_tokens").asInt()).isEqualTo(2);
		assertThat(parts.extra().at("/usage/prompt_tokens").isMissingNode()).isTrue();
		assertThat(parts.choicesJson().at("/1/finish_reason").asString()).isEqualTo("stop");
	}

	@Test
	void anAnswerWithoutABodyIsOneChoiceFromItsFields() {
		AnswerChoices parts = AnswerChoices.of(new ChatResponse("c1", "m", "text", "why", "stop", Usage.NONE));

		assertThat(parts.choices()).containsExactly(new AnswerChoices.Choice(0, "text", "why", "stop", null, null, null,
				null));
		assertThat(parts.extra()).isNull();
	}

	@Test
	void passAtOneIsTheFirstChoicesScoreAndPassAtNAnyChoices() {
		ChoiceScores scores = ChoiceScores.of(Scorer.CONTAINS, Arrays.asList("red", null, "blue sky"), "blue");

		assertThat(scores.each()).containsExactly(0, 0, 1);
		assertThat(scores.first()).isZero();
		assertThat(scores.any()).isEqualTo(1);
		assertThat(ChoiceScores.of(Scorer.CONTAINS, Arrays.asList("red", "green"), "").any()).isNull();
	}
}
