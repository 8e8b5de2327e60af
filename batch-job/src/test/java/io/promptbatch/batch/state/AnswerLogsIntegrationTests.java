package io.promptbatch.batch.state;

import static org.assertj.core.api.Assertions.assertThat;

import io.promptbatch.batch.journal.ResponseJournal;
import io.promptbatch.testsupport.PostgresServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

/** Answer logs carry the state database they were written for, on real PostgreSQL databases. */
class AnswerLogsIntegrationTests {

	@TempDir
	Path dir;

	private final PostgresServer server = PostgresServer.shared();

	@Test
	void answersAKilledProcessLeftForOneStateDatabaseGoOnlyIntoThatOneWhenTheDirectoryIsUsedWithAnotherFirst()
			throws Exception {
		// given: a state directory whose process was killed with two answers for database A only in its answer log
		JdbcTemplate a = database();
		JdbcTemplate b = database();
		Path logs = dir.resolve("answer-log");
		Path forA = AnswerLogs.of(logs, StateSchema.identity(a), "database A");
		String json = "{\"id\":\"r\",\"model\":\"m\",\"content\":\"%s\",\"prompt_tokens\":1,\"completion_tokens\":2,"
				+ "\"total_tokens\":3,\"attempts\":1,\"latency_ms\":40}";
		Path segment = forA.resolve("answers-000001.log");
		Files.writeString(segment, "3\t" + "a".repeat(64) + "\t1700000000000\t" + json.formatted("first") + "\n3\t"
				+ "b".repeat(64) + "\t1700000000001\t" + json.formatted("second") + "\n", StandardCharsets.UTF_8);

		// when: the directory is used with database B
		Path forB = AnswerLogs.of(logs, StateSchema.identity(b), "database B");
		new ResponseJournal(b, new DataSourceTransactionManager(b.getDataSource()), forB).close();

		// then: B did not get A's answers (they are another database's run 3), and A's log is kept
		assertThat(forB).isNotEqualTo(forA);
		assertThat(journalRows(b)).isZero();
		assertThat(segment).exists();
		assertThat(forA.resolve("database")).hasContent("database A");

		// when: the directory is used with A again
		new ResponseJournal(a, new DataSourceTransactionManager(a.getDataSource()),
				AnswerLogs.of(logs, StateSchema.identity(a), "database A")).close();

		// then: A has them, and its log is gone
		assertThat(journalRows(a)).isEqualTo(2);
		assertThat(segment).doesNotExist();
		assertThat(journalRows(b)).isZero();
	}

	@Test
	void aDatabaseKeepsItsIdentityAcrossOpeningsAndTwoDatabasesHaveTwo() throws Exception {
		// given: two state databases
		String url = server.url(server.newDatabase());
		JdbcTemplate first = open(url);
		String identity = StateSchema.identity(first);

		// when: the first is opened again (its tables checked, not created), and another one is created
		JdbcTemplate again = open(url);

		// then
		assertThat(StateSchema.identity(again)).isEqualTo(identity);
		assertThat(StateSchema.identity(database())).isNotEqualTo(identity);
	}

	private JdbcTemplate database() throws Exception {
		return open(server.url(server.newDatabase()));
	}

	private JdbcTemplate open(String url) throws Exception {
		DriverManagerDataSource dataSource = new DriverManagerDataSource(url, server.user(), server.password());
		new StateSchema(dataSource, url).afterPropertiesSet();
		return new JdbcTemplate(dataSource);
	}

	private static long journalRows(JdbcTemplate jdbc) {
		Long n = jdbc.queryForObject("SELECT COUNT(*) FROM PB_RESPONSE_JOURNAL", Long.class);
		return n == null ? 0 : n;
	}
}
