package io.promptbatch.batch;

import static io.promptbatch.batch.RunParametersTests.FILE;
import static org.assertj.core.api.Assertions.assertThat;

import io.promptbatch.core.prompt.InputFingerprint;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.batch.core.job.parameters.JobParameters;

class RunDifferencesTests {

	@Test
	void differencesNameTheSettingsAsTheUserGaveThem() {
		RunSpec spec = RunSpec.of(Path.of("in.csv"), Path.of("out.csv"), "http://127.0.0.1:9/v1", "kimi-k2.5");
		JobParameters then = RunParameters.of(spec.toBuilder().temperature(0.2).build(), 10, List.of(), FILE);
		JobParameters now = RunParameters.of(spec.toBuilder().temperature(0.7).concurrency(64).build(), 10, List.of(),
				new InputFingerprint(1310, FILE.modified(), "cd".repeat(32)));

		assertThat(RunDifferences.between(then, now)).containsExactly(
				"the input's content: size 1,204 -> 1,310 bytes, different content",
				"--temperature: '0.2' then, '0.7' now");
		assertThat(RunDifferences.between(then, then)).isEmpty();
	}
}
