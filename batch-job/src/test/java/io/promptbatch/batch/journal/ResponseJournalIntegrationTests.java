package io.promptbatch.batch.journal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.promptbatch.batch.PromptBatchApplication;
import io.promptbatch.batch.state.StateSchema;
import io.promptbatch.core.chat.Usage;
import io.promptbatch.core.client.ChatResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.SimpleDriverDataSource;

class ResponseJournalIntegrationTests {

	@TempDir
	Path dir;

	@Test
	void answersOnlyInTheLogAreInsertedByTheNextProcessWhenTheDatabaseLostItsLastCommits() throws Exception {
		// given: a database that writes its commits to the file only a minute later, and a journal that acknowledged
		// 50 answers whose inserts committed
		String url = "jdbc:h2:file:" + dir.resolve("db") + ";DB_CLOSE_ON_EXIT=FALSE;WRITE_DELAY=60000";
		JdbcTemplate jdbc = open(url);
		// held open, as the application's connection pool does: H2 writes and closes a database when its last
		// connection closes
		java.sql.Connection held = jdbc.getDataSource().getConnection();
		ResponseJournal journal = new ResponseJournal(jdbc, new DataSourceTransactionManager(jdbc.getDataSource()),
				dir.resolve("answer-log"));
		for (int i = 0; i < 50; i++) {
			journal.record(7, fingerprint(i), answer(i), 1, 10).join();
		}
		awaitRows(jdbc, 50);

		// when: the process dies: the database is closed without writing what it held in memory, the journal is
		// never closed
		jdbc.execute("SHUTDOWN IMMEDIATELY");
		held.close();
		JdbcTemplate reopened = open(url);
		long rowsTheDatabaseKept = count(reopened);
		ResponseJournal next = new ResponseJournal(reopened,
				new DataSourceTransactionManager(reopened.getDataSource()), dir.resolve("answer-log"));

		// then: the database had lost them, the next journal inserted all 50 from the log, and deleted the log
		assertThat(rowsTheDatabaseKept).isZero();
		assertThat(count(reopened)).isEqualTo(50);
		for (int i = 0; i < 50; i++) {
			int n = i;
			assertThat(next.find(7, fingerprint(i), false)).get()
				.satisfies(e -> {
					assertThat(e.response().content()).isEqualTo("answer " + n);
					// the provider's body, character for character
					assertThat(e.response().body()).isEqualTo(answer(n).body());
				});
		}
		assertThat(AnswerLog.segments(dir.resolve("answer-log"))).isEmpty();
		next.close();
	}

	@Test
	void aLineCutShortByAKillAndADamagedLineAreSkippedAndTheRestInserted() throws Exception {
		// given: a log as a killed process leaves it: whole lines, one of them twice, damaged ones, and a last line
		// cut short
		Path logDir = Files.createDirectories(dir.resolve("answer-log"));
		String json = "{\"id\":\"r\",\"model\":\"m\",\"content\":\"%s\",\"prompt_tokens\":1,\"completion_tokens\":2,"
				+ "\"total_tokens\":3,\"attempts\":2,\"latency_ms\":40}";
		Files.writeString(logDir.resolve("answers-000003.log"),
				"4\t" + fingerprint(1) + "\t1700000000000\t" + json.formatted("first") + "\n" + "not a line of the log\n"
						// the same request answered twice in the run (the same prompt twice): one row is enough
						+ "4\t" + fingerprint(1) + "\t1700000000000\t" + json.formatted("first") + "\n"
						// a line cut short by a full disk, and the next write after it
						+ "4\t" + fingerprint(4) + "\t1700000000002\t{\"id\":\"r\",\"mod" + "4\t" + fingerprint(5)
						+ "\t1700000000003\t" + json.formatted("fifth") + "\n"
						+ "4\t" + fingerprint(2) + "\t1700000000001\t" + json.formatted("second") + "\n" + "4\t"
						+ fingerprint(3) + "\t17000000",
				StandardCharsets.UTF_8);
		JdbcTemplate jdbc = open(PromptBatchApplication.h2Url(dir));

		// when
		try (ResponseJournal journal = new ResponseJournal(jdbc,
				new DataSourceTransactionManager(jdbc.getDataSource()), logDir)) {

			// then: the two answers are rows of run 4, once each, with their attempts and latency
			assertThat(count(jdbc)).isEqualTo(2);
			assertThat(journal.find(4, fingerprint(1), false)).get().satisfies(e -> {
				assertThat(e.response().content()).isEqualTo("first");
				assertThat(e.attempts()).isEqualTo(2);
				assertThat(e.latencyMillis()).isEqualTo(40);
				// journaled before bodies were kept: none, and the output rebuilds one from the fields
				assertThat(e.response().body()).isNull();
			});
			assertThat(journal.find(4, fingerprint(2), false)).isPresent();
			assertThat(journal.find(4, fingerprint(3), true)).isEmpty();
			assertThat(journal.find(4, fingerprint(4), true)).isEmpty();
			assertThat(AnswerLog.segments(logDir)).isEmpty();
		}
	}

	@Test
	void fullSegmentsAreDeletedOnceTheTableHasTheirAnswersAndTheLastOneAtClose() throws Exception {
		// given: segments of about five answers
		JdbcTemplate jdbc = open(PromptBatchApplication.h2Url(dir));
		Path logDir = dir.resolve("answer-log");
		ResponseJournal journal = new ResponseJournal(jdbc, new DataSourceTransactionManager(jdbc.getDataSource()),
				logDir, 2_000);

		// when: 200 answers, one at a time (each its own append), then the writer goes idle
		for (int i = 0; i < 200; i++) {
			journal.record(9, fingerprint(i), answer(i), 1, 10).join();
		}
		awaitRows(jdbc, 200);

		// then: the log holds at most the segment being written, every answer is found, and none is left at close
		assertThat(AnswerLog.segments(logDir)).hasSizeLessThanOrEqualTo(1);
		assertThat(journal.find(9, fingerprint(0), false)).isPresent();
		assertThat(journal.find(9, fingerprint(199), false)).isPresent();
		journal.close();
		assertThat(AnswerLog.segments(logDir)).isEmpty();
		assertThat(count(jdbc)).isEqualTo(200);
	}

	private static JdbcTemplate open(String url) throws Exception {
		DataSource dataSource = new SimpleDriverDataSource(new org.h2.Driver(), url, "sa", "");
		new StateSchema(dataSource).afterPropertiesSet();
		return new JdbcTemplate(dataSource);
	}

	private static long count(JdbcTemplate jdbc) {
		return jdbc.queryForObject("SELECT COUNT(*) FROM PB_RESPONSE_JOURNAL", Long.class);
	}

	private static void awaitRows(JdbcTemplate jdbc, long rows) {
		await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(10)).until(() -> count(jdbc) >= rows);
		assertThat(count(jdbc)).isEqualTo(rows);
	}

	private static String fingerprint(int i) {
		byte[] bytes = new byte[32];
		for (int b = 0; b < 32; b++) {
			bytes[b] = (byte) (i * 31 + b * 7);
		}
		return HexFormat.of().formatHex(bytes);
	}

	private static ChatResponse answer(int i) {
		// a body as a server may send it: over two lines, a tab in a string, a field promptbatch does not know,
		// a number written its own way
		String body = "{\"id\":\"r" + i + "\",\"object\":\"chat.completion\",\"system_fingerprint\":\"fp_" + i + "\",\n"
				+ "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"answer " + i
				+ "\\twith a tab\"},\"logprobs\":null,\"finish_reason\":\"stop\"}],\"x_extra\":{\"score\":1.50e0},"
				+ "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":4,\"total_tokens\":7}}";
		return new ChatResponse("r" + i, "kimi-k2.5", "answer " + i, null, "stop", new Usage(3, 4, 7, 0), body);
	}
}
