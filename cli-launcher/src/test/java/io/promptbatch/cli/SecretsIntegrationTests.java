package io.promptbatch.cli;

import static io.promptbatch.cli.CliFixtures.execute;
import static org.assertj.core.api.Assertions.assertThat;

import io.promptbatch.cli.CliFixtures.Result;
import io.promptbatch.simulator.ChatSimulator;
import io.promptbatch.simulator.Latency;
import io.promptbatch.simulator.SimulatorConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The API key is written nowhere: not in the job repository, the output, the log or any message. */
class SecretsIntegrationTests {

	private static final String CANARY = "sk-canary-7f3a9c1e5b2d";

	@TempDir
	Path dir;

	private static boolean contains(Path file, String text) throws Exception {
		byte[] bytes = Files.readAllBytes(file);
		byte[] needle = text.getBytes(StandardCharsets.UTF_8);
		outer: for (int i = 0; i + needle.length <= bytes.length; i++) {
			for (int j = 0; j < needle.length; j++) {
				if (bytes[i + j] != needle[j]) {
					continue outer;
				}
			}
			return true;
		}
		return false;
	}

	private static String databaseScript(Path state) throws Exception {
		StringBuilder sql = new StringBuilder();
		try (java.sql.Connection c = java.sql.DriverManager.getConnection(
				io.promptbatch.batch.PromptBatchApplication.h2Url(state), "sa", "");
				java.sql.ResultSet rs = c.createStatement().executeQuery("SCRIPT")) {
			while (rs.next()) {
				sql.append(rs.getString(1)).append('\n');
			}
		}
		return sql.toString();
	}

	@Test
	void theKeyIsInNoFileAndNoMessageWhetherTheRunSucceedsOrIsRejected() throws Exception {
		Path input = CliFixtures.csv(dir, 120);
		Path state = dir.resolve("state");
		Result ok;
		Result rejected;
		// when: a run the server accepts the key for, and one against a server that rejects it
		try (ChatSimulator accepting = ChatSimulator.start(SimulatorConfig.builder()
			.latency(Latency.fixed(Duration.ofMillis(2)))
			.requiredKey(CANARY)
			.build());
				ChatSimulator rejecting = ChatSimulator.start(SimulatorConfig.builder()
					.latency(Latency.fixed(Duration.ofMillis(2)))
					.requiredKey("another-key")
					.build())) {
			ok = execute(Map.of("PROMPTBATCH_API_KEY", CANARY), "run", "--base-url", accepting.baseUrl(), "--model",
					"kimi-k2.5", "--input", input.toString(), "--output", dir.resolve("ok.jsonl").toString(), "--state-dir",
					state.toString());
			rejected = execute(Map.of("PROMPTBATCH_API_KEY", CANARY), "run", "--base-url", rejecting.baseUrl(),
					"--model", "kimi-k2.5", "--input", input.toString(), "--output", dir.resolve("rejected.csv").toString(),
					"--state-dir", state.toString());
		}

		// then
		assertThat(ok.exitCode()).as(ok.err()).isZero();
		assertThat(rejected.exitCode()).as(rejected.err()).isEqualTo(1);
		assertThat(ok.err() + ok.out() + rejected.err() + rejected.out()).doesNotContain(CANARY);
		List<Path> files;
		try (Stream<Path> walk = Files.walk(dir)) {
			files = walk.filter(Files::isRegularFile).toList();
		}
		assertThat(files).extracting(p -> p.getFileName().toString())
			.contains("promptbatch.mv.db", "promptbatch.log", "ok.jsonl");
		// the whole state database, as SQL: parameters, contexts, journal
		String script = databaseScript(state);
		assertThat(script).contains("kimi-k2.5").contains("PB_RESPONSE_JOURNAL").doesNotContain(CANARY);
		// the search can find what is there: the 401 is in the log
		assertThat(contains(state.resolve("promptbatch.log"), "401")).isTrue();
		for (Path file : files) {
			assertThat(contains(file, CANARY)).as(file.toString()).isFalse();
		}
	}

	@Test
	void aKeyPastedWithACharacterNoHeaderCanCarryIsRefusedBeforeAnyRequestWithoutBeingQuoted() throws Exception {
		Path input = CliFixtures.csv(dir, 5);
		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder().build())) {
			for (String pasted : List.of("\u201c" + CANARY + "\u201d", CANARY + "\nnext", "sk-canary 7f3a")) {
				// when
				Result r = execute(Map.of("PROMPTBATCH_API_KEY", pasted), "run", "--base-url", sim.baseUrl(), "--model",
						"kimi-k2.5", "--input", input.toString(), "--output", dir.resolve("out.jsonl").toString(),
						"--state-dir", dir.resolve("state").toString());

				// then: bad usage naming the variable, never the key
				assertThat(r.exitCode()).as(r.err()).isEqualTo(2);
				assertThat(r.err()).contains("the key in PROMPTBATCH_API_KEY has a character that an HTTP header cannot carry")
					.doesNotContain("canary");
			}
			assertThat(sim.counters().requests()).isZero();
			assertThat(dir.resolve("out.jsonl")).doesNotExist();
		}
	}
}
