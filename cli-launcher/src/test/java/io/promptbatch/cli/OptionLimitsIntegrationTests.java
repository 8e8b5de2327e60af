package io.promptbatch.cli;

import static io.promptbatch.cli.CliFixtures.execute;
import static org.assertj.core.api.Assertions.assertThat;

import io.promptbatch.cli.CliFixtures.Result;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A state directory that cannot be used, and a concurrency beyond reason, through the real command. */
class OptionLimitsIntegrationTests {

	@TempDir
	Path dir;

	private Result run(String stateDir, String... more) {
		String[] args = { "run", "--provider", "simulator", "--input", CliFixtures.SAMPLE_CSV.toString(), "--output",
				dir.resolve("answers.jsonl").toString(), "--state-dir", stateDir };
		String[] all = java.util.Arrays.copyOf(args, args.length + more.length);
		System.arraycopy(more, 0, all, args.length, more.length);
		return execute(Map.of(), all);
	}

	@Test
	void aStateDirThatIsAFileIsBadUsageNamingTheOption() throws Exception {
		// given
		Path file = Files.writeString(dir.resolve("state.txt"), "notes");

		// when
		Result itself = run(file.toString());
		Result under = run(file.resolve("state").toString());

		// then
		assertThat(itself.exitCode()).isEqualTo(2);
		assertThat(itself.err()).contains("--state-dir " + file + ": is a file, not a directory; give a directory")
			.doesNotContain("error:");
		assertThat(under.exitCode()).isEqualTo(2);
		assertThat(under.err()).contains("--state-dir " + file.resolve("state") + ": cannot be created: " + file
				+ " is a file, not a directory");
		assertThat(Files.readString(file)).isEqualTo("notes");
		assertThat(dir.resolve("answers.jsonl")).doesNotExist();
	}

	@Test
	void aStateDirThatCannotBeWrittenIsBadUsageNamingTheOption() throws Exception {
		// given: a directory this user cannot write to; root writes through permission bits, not into /sys
		Path readOnly = dir.resolve("read-only");
		Files.createDirectory(readOnly);
		Files.setPosixFilePermissions(readOnly, PosixFilePermissions.fromString("r-xr-xr-x"));
		if (writable(readOnly)) {
			readOnly = Path.of("/sys");
		}
		Assumptions.assumeFalse(writable(readOnly), "no directory this user cannot write to (tried a read-only "
				+ "temporary directory and /sys)");

		// when
		Result result = run(readOnly.toString());

		// then
		assertThat(result.exitCode()).isEqualTo(2);
		assertThat(result.err()).contains("--state-dir " + readOnly + ": cannot be written (")
			.contains("give a directory this user can write to");
	}

	private static boolean writable(Path directory) {
		try {
			Files.delete(Files.createTempFile(directory, "probe", ".tmp"));
			return true;
		}
		catch (IOException e) {
			return false;
		}
	}

	@Test
	void aConcurrencyAboveTheCeilingIsCappedWithAWarning() {
		Result result = run(dir.resolve("state").toString(), "--concurrency", "100000");

		assertThat(result.exitCode()).as(result.err()).isZero();
		assertThat(result.err()).contains("promptbatch: --concurrency 100000 is above the ceiling of 1024 requests in "
				+ "flight; using 1024").contains("concurrency 1024)").contains("completed: 24 rows, 24 ok");
	}

	@Test
	void aMaxConcurrencyAboveTheCeilingIsCappedToo() {
		Result result = run(dir.resolve("state").toString(), "--concurrency", "auto", "--max-concurrency", "5000");

		assertThat(result.exitCode()).as(result.err()).isZero();
		assertThat(result.err()).contains("--max-concurrency 5000 is above the ceiling of 1024").contains(
				"concurrency auto up to 1024)");
	}
}
