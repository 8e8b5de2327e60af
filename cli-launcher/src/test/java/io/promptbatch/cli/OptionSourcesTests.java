package io.promptbatch.cli;

import static io.promptbatch.cli.CliFixtures.execute;
import static org.assertj.core.api.Assertions.assertThat;

import io.promptbatch.cli.CliFixtures.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where option values come from, and what is said when one is wrong: none of these starts a run. */
class OptionSourcesTests {

	@TempDir
	Path dir;

	@Test
	void aConfigKeyThatIsNoOptionIsRefusedWithItsLineAndTheClosestOption() throws Exception {
		// given
		Path config = dir.resolve("promptbatch.properties");
		Files.writeString(config, "# nightly defaults\nprovider=simulator\nconcurence=4\n");

		// when
		Result result = execute(Map.of(), "run", "--config", config.toString(), "--input", "in.csv", "--output",
				dir.resolve("out.jsonl").toString());

		// then
		assertThat(result.exitCode()).isEqualTo(2);
		assertThat(result.err()).contains(config + " line 3: 'concurence' is not an option; did you mean concurrency?");
	}

	@Test
	void aCommandPrefixedConfigKeyIsCheckedAgainstThatCommandsOptions() throws Exception {
		// given: 'json' is an option of estimate, not of run
		Path config = dir.resolve("promptbatch.properties");
		Files.writeString(config, "estimate.json=true\nrun.max-retrys=3\n");

		// when
		Result result = execute(Map.of("PROMPTBATCH_CONFIG", config.toString()), "runs", "--state-dir",
				dir.toString());

		// then
		assertThat(result.exitCode()).isEqualTo(2);
		assertThat(result.err()).contains("line 2: 'run.max-retrys' is not an option of 'run'; did you mean "
				+ "run.max-retries?");
	}

	@Test
	void aBadValueFromTheEnvironmentNamesTheVariable() {
		Result concurrency = execute(Map.of("PROMPTBATCH_CONCURRENCY", "abc"), "run", "--provider", "simulator",
				"--input", "in.csv", "--output", dir.resolve("out.jsonl").toString());
		Result retries = execute(Map.of("PROMPTBATCH_MAX_RETRIES", "many"), "run", "--provider", "simulator",
				"--input", "in.csv", "--output", dir.resolve("out.jsonl").toString());

		assertThat(concurrency.exitCode()).isEqualTo(2);
		assertThat(concurrency.err()).contains("--concurrency (from the environment variable PROMPTBATCH_CONCURRENCY) "
				+ "takes a number or 'auto', was 'abc'");
		assertThat(retries.exitCode()).isEqualTo(2);
		assertThat(retries.err()).contains("'many' is not an int")
			.contains("(the value comes from the environment variable PROMPTBATCH_MAX_RETRIES)");
	}

	@Test
	void aBadValueFromTheConfigFileNamesTheFileAndLine() throws Exception {
		Path config = dir.resolve("promptbatch.properties");
		Files.writeString(config, "provider=simulator\n\nrun.timeout=soon\n");

		Result result = execute(Map.of(), "run", "--config", config.toString(), "--input", "in.csv", "--output",
				dir.resolve("out.jsonl").toString());

		assertThat(result.exitCode()).isEqualTo(2);
		assertThat(result.err()).contains("'soon' is not a duration")
			.contains("(the value comes from " + config + " line 3 (run.timeout))");
	}

	@Test
	void aValueTypedOnTheCommandLineIsReportedAsTyped() {
		Result result = execute(Map.of("PROMPTBATCH_CONCURRENCY", "8"), "run", "--concurrency", "abc", "--provider",
				"simulator", "--input", "in.csv", "--output", dir.resolve("out.jsonl").toString());

		assertThat(result.exitCode()).isEqualTo(2);
		assertThat(result.err()).contains("promptbatch: --concurrency takes a number or 'auto', was 'abc'")
			.doesNotContain("PROMPTBATCH_CONCURRENCY");
	}

	@Test
	void aUsageErrorIsOneLineAndWhereTheHelpIsNotTheWholeUsage() {
		Result missing = execute(Map.of(), "run", "--input", "in.csv");
		Result misspelt = execute(Map.of(), "run", "--input", "in.csv", "--output", "out.jsonl", "--concurency", "4");

		assertThat(missing.exitCode()).isEqualTo(2);
		assertThat(missing.err().lines()).containsExactly("promptbatch: Missing required option: '--output=FILE'",
				"see 'promptbatch run --help'");
		assertThat(misspelt.exitCode()).isEqualTo(2);
		assertThat(misspelt.err()).contains("Unknown options: '--concurency', '4'").contains("--concurrency")
			.contains("see 'promptbatch run --help'").doesNotContain("Usage:");
		assertThat(misspelt.err().lines().count()).isLessThan(6);
	}
}
