package io.promptbatch.batch.state;

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.InitializingBean;
import org.springframework.core.io.ClassPathResource;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.init.ResourceDatabasePopulator;
import org.springframework.jdbc.datasource.init.ScriptUtils;

/**
 * Creates the state database's tables when they are missing: Spring Batch's job repository tables
 * (its own schema script for the database in use), promptbatch's response journal and its Batch API ledger.
 *
 * <p>On PostgreSQL, shared by processes that may start at the same moment, the tables are created in one
 * transaction under an advisory lock, with promptbatch's schema version in {@code PB_SCHEMA_VERSION}; a
 * database of another schema version is refused. The H2 file of a state directory is used by one process
 * at a time (its lock), and its tables are brought up to date in place.
 */
public final class StateSchema implements InitializingBean {

	/** The version of promptbatch's tables in a PostgreSQL state database; raised with every change to them. */
	public static final int VERSION = 1;

	/** The advisory lock held while the tables are checked or created ("pbschema" in ASCII). */
	private static final long SCHEMA_LOCK = 0x7062736368656d61L;

	private static final Logger log = LoggerFactory.getLogger(StateSchema.class);

	private final DataSource dataSource;

	private final String shown;

	public StateSchema(DataSource dataSource) {
		this(dataSource, "in use");
	}

	/**
	 * @param shown the database as messages name it (never with its password)
	 */
	public StateSchema(DataSource dataSource, String shown) {
		this.dataSource = dataSource;
		this.shown = shown;
	}

	@Override
	public void afterPropertiesSet() throws SQLException {
		String platform;
		List<String> missing;
		try (Connection c = dataSource.getConnection()) {
			DatabaseMetaData meta = c.getMetaData();
			platform = platform(meta.getDatabaseProductName());
			if (platform.equals("postgresql")) {
				createShared(c);
				return;
			}
			missing = missingBatchObjects(c, meta);
		}
		if (!missing.isEmpty()) {
			ResourceDatabasePopulator script = new ResourceDatabasePopulator(
					new ClassPathResource("org/springframework/batch/core/schema-" + platform + ".sql"));
			if (missing.size() < BATCH_TABLES.size() + BATCH_SEQUENCES.size()) {
				// a process killed while its new state file was being written (H2 writes commits to its file in the
				// background) leaves part of the tables: create the rest, the statements of those present failing
				log.warn("The job repository lacks {} (a process was stopped while creating it): creating them",
						missing);
				script.setContinueOnError(true);
			}
			else {
				log.info("Creating the job repository tables ({})", platform);
			}
			script.execute(dataSource);
		}
		// rows are appended in arrival order under a sequence key, so that a commit rewrites only the last
		// data page
		JdbcTemplate jdbc = new JdbcTemplate(dataSource);
		jdbc.execute("CREATE TABLE IF NOT EXISTS PB_RESPONSE_JOURNAL " + JOURNAL_COLUMNS);
		// one index: answers are looked up by fingerprint, the run's own first (journal) then any run's (cache).
		// It holds the fingerprint's first 64 bits as a number: the fingerprints are random, so each commit
		// rewrites index pages all over the index, and pages of numbers are a fraction of the size (and of the
		// work) of pages of 64-character texts. State databases of earlier versions get the column filled and
		// lose their text indexes (a unique (run, fingerprint) one and a fingerprint one).
		jdbc.execute("ALTER TABLE PB_RESPONSE_JOURNAL ADD COLUMN IF NOT EXISTS FP_KEY BIGINT");
		List<String> unkeyed = jdbc.queryForList("SELECT DISTINCT FINGERPRINT FROM PB_RESPONSE_JOURNAL WHERE FP_KEY IS NULL",
				String.class);
		if (!unkeyed.isEmpty()) {
			jdbc.batchUpdate("UPDATE PB_RESPONSE_JOURNAL SET FP_KEY = ? WHERE FINGERPRINT = ?", unkeyed, 1000,
					(ps, fp) -> {
						ps.setLong(1, fingerprintKey(fp));
						ps.setString(2, fp);
					});
		}
		jdbc.execute("DROP INDEX IF EXISTS PB_RESPONSE_JOURNAL_KEY");
		jdbc.execute("DROP INDEX IF EXISTS PB_RESPONSE_JOURNAL_FP");
		jdbc.execute("CREATE INDEX IF NOT EXISTS PB_RESPONSE_JOURNAL_FPK ON PB_RESPONSE_JOURNAL (FP_KEY)");
		createBatchLedger(jdbc);
		jdbc.execute("CREATE TABLE IF NOT EXISTS PB_STATE_ID " + STATE_ID_COLUMNS);
		jdbc.update(STATE_ID_INSERT, UUID.randomUUID().toString());
		// a process killed just after it created a run's job instance, before H2 wrote the execution to the file,
		// leaves an instance without executions, which Spring Batch cannot start again ("Cannot find any job
		// execution for job instance"): nothing of it ran, so it goes. One process uses the file at a time (the
		// state directory's lock); a shared database commits both at once and is not touched here
		int orphans = jdbc.update("DELETE FROM BATCH_JOB_INSTANCE I WHERE NOT EXISTS (SELECT 1 FROM "
				+ "BATCH_JOB_EXECUTION E WHERE E.JOB_INSTANCE_ID = I.JOB_INSTANCE_ID)");
		if (orphans > 0) {
			log.warn("Removed {} job instance(s) without an execution, left by a process stopped as it started a run",
					orphans);
		}
		if (!missing.isEmpty() && platform.equals("h2")) {
			// a new schema on the file at once, not within the write delay: a process killed in its first second
			// must not leave a state file with part of it
			jdbc.execute("CHECKPOINT");
		}
	}

	/** The response journal's columns, on every database. */
	private static final String JOURNAL_COLUMNS = "(ID BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, "
			+ "RUN_ID BIGINT NOT NULL, FINGERPRINT VARCHAR(64) NOT NULL, RESPONSE TEXT NOT NULL, "
			+ "CREATED_AT TIMESTAMP NOT NULL, FP_KEY BIGINT)";

	private static final List<String> BATCH_TABLES = List.of("BATCH_JOB_INSTANCE", "BATCH_JOB_EXECUTION",
			"BATCH_JOB_EXECUTION_PARAMS", "BATCH_STEP_EXECUTION", "BATCH_STEP_EXECUTION_CONTEXT",
			"BATCH_JOB_EXECUTION_CONTEXT");

	private static final List<String> BATCH_SEQUENCES = List.of("BATCH_STEP_EXECUTION_SEQ", "BATCH_JOB_EXECUTION_SEQ",
			"BATCH_JOB_INSTANCE_SEQ");

	/** The job repository's tables and sequences the database lacks (all of them in a new one). */
	private static List<String> missingBatchObjects(Connection c, DatabaseMetaData meta) throws SQLException {
		List<String> missing = new java.util.ArrayList<>();
		for (String table : BATCH_TABLES) {
			if (!tableExists(meta, table)) {
				missing.add(table);
			}
		}
		for (String sequence : BATCH_SEQUENCES) {
			try (java.sql.PreparedStatement ps = c.prepareStatement(
					"SELECT COUNT(*) FROM INFORMATION_SCHEMA.SEQUENCES WHERE UPPER(SEQUENCE_NAME) = ?")) {
				ps.setString(1, sequence);
				try (ResultSet rs = ps.executeQuery()) {
					if (rs.next() && rs.getInt(1) == 0) {
						missing.add(sequence);
					}
				}
			}
		}
		return missing;
	}

	/**
	 * The Batch API ledger: a run's parts (one file and one batch each, with each external step recorded before and
	 * after its call) and its lines (which part each row's request is in, and what became of it).
	 */
	private static void createBatchLedger(JdbcTemplate jdbc) {
		for (String ddl : BATCH_LEDGER) {
			jdbc.execute(ddl);
		}
	}

	private static final String[] BATCH_LEDGER = {
			"CREATE TABLE IF NOT EXISTS PB_BATCH_PART (RUN_ID BIGINT NOT NULL, PART_NO INT NOT NULL, "
					+ "TAG VARCHAR(100) NOT NULL, MODEL VARCHAR(300) NOT NULL, ROUND_NO INT NOT NULL, LINES BIGINT NOT NULL, "
					+ "STEP VARCHAR(20) NOT NULL, FILE_ID VARCHAR(300), BATCH_ID VARCHAR(300), STATUS VARCHAR(20), "
					+ "OUTPUT_FILE_ID VARCHAR(300), ERROR_FILE_ID VARCHAR(300), PLANNED_AT TIMESTAMP NOT NULL, UPDATED_AT TIMESTAMP NOT NULL, "
					+ "PRIMARY KEY (RUN_ID, PART_NO))",
			"CREATE TABLE IF NOT EXISTS PB_BATCH_LINE (RUN_ID BIGINT NOT NULL, CUSTOM_ID VARCHAR(40) NOT NULL, "
					+ "PART_NO INT NOT NULL, RECORD_NO BIGINT NOT NULL, LINE_NO BIGINT NOT NULL, FINGERPRINT VARCHAR(64) NOT NULL, "
					+ "BODY TEXT NOT NULL, OUTCOME VARCHAR(10), ERROR TEXT, PRIMARY KEY (RUN_ID, CUSTOM_ID))",
			"CREATE TABLE IF NOT EXISTS PB_BATCH_CANCEL (RUN_ID BIGINT NOT NULL PRIMARY KEY, "
					+ "REQUESTED_AT TIMESTAMP NOT NULL)",
			"CREATE INDEX IF NOT EXISTS PB_BATCH_LINE_PART ON PB_BATCH_LINE (RUN_ID, PART_NO, RECORD_NO)",
			"CREATE INDEX IF NOT EXISTS PB_BATCH_LINE_FP ON PB_BATCH_LINE (RUN_ID, FINGERPRINT)" };

	/**
	 * Checks or creates the tables of a PostgreSQL state database in one transaction, under an advisory lock
	 * that a second process starting at the same moment waits for: it then finds them created.
	 */
	private void createShared(Connection c) throws SQLException {
		boolean autoCommit = c.getAutoCommit();
		c.setAutoCommit(false);
		try (Statement s = c.createStatement()) {
			s.execute("SELECT pg_advisory_xact_lock(" + SCHEMA_LOCK + ")");
			if (exists(s, "pb_schema_version")) {
				int found = version(s);
				if (found != VERSION) {
					throw new StateDatabaseException("the state database " + shown + " was created by promptbatch schema "
							+ "version " + found + "; this is version " + VERSION + ": use the promptbatch version that "
							+ "created it (it continues its runs), or give this version another --state-db (a new, empty "
							+ "database)");
				}
				createPartitionHeartbeats(s);
				createRunLimits(s);
				createStateId(c);
				c.commit();
				return;
			}
			for (String table : new String[] { "batch_job_instance", "pb_response_journal" }) {
				if (exists(s, table)) {
					throw new StateDatabaseException("the state database " + shown + " has a table " + table
							+ " but no promptbatch schema version (PB_SCHEMA_VERSION): it is another program's; give "
							+ "promptbatch a database of its own with --state-db");
				}
			}
			log.info("Creating the state database's tables (postgresql, promptbatch schema version {})", VERSION);
			ScriptUtils.executeSqlScript(c,
					new ClassPathResource("org/springframework/batch/core/schema-postgresql.sql"));
			s.execute("CREATE TABLE PB_RESPONSE_JOURNAL " + JOURNAL_COLUMNS);
			s.execute("CREATE INDEX PB_RESPONSE_JOURNAL_FPK ON PB_RESPONSE_JOURNAL (FP_KEY)");
			// who runs a run: the process that refreshes its heartbeat (see RunLeases)
			s.execute("CREATE TABLE PB_RUN_LEASE (JOB_KEY VARCHAR(64) PRIMARY KEY, OWNER VARCHAR(64) NOT NULL, "
					+ "HOST VARCHAR(255) NOT NULL, PID BIGINT NOT NULL, HEARTBEAT TIMESTAMP WITH TIME ZONE NOT NULL)");
			s.execute("CREATE TABLE PB_SCHEMA_VERSION (VERSION INT NOT NULL, CREATED_AT TIMESTAMP NOT NULL)");
			for (String ddl : BATCH_LEDGER) {
				s.execute(ddl);
			}
			createPartitionHeartbeats(s);
			createRunLimits(s);
			createStateId(c);
			s.execute("INSERT INTO PB_SCHEMA_VERSION (VERSION, CREATED_AT) VALUES (" + VERSION + ", CURRENT_TIMESTAMP)");
			c.commit();
		}
		catch (SQLException | RuntimeException e) {
			c.rollback();
			throw e;
		}
		finally {
			c.setAutoCommit(autoCommit);
		}
	}

	/**
	 * The partitions' heartbeats (see {@code PartitionHeartbeats}): a worker's sign of life between its partition's
	 * commits. Created if missing, so that databases created before it gain it under the same schema version.
	 */
	private static void createPartitionHeartbeats(Statement s) throws SQLException {
		s.execute("CREATE TABLE IF NOT EXISTS PB_PARTITION_HEARTBEAT (STEP_EXECUTION_ID BIGINT PRIMARY KEY, "
				+ "BEAT TIMESTAMP WITH TIME ZONE NOT NULL)");
	}

	private static final String STATE_ID_COLUMNS = "(ID VARCHAR(36) PRIMARY KEY)";

	private static final String STATE_ID_INSERT = "INSERT INTO PB_STATE_ID (ID) SELECT ? WHERE NOT EXISTS (SELECT 1 FROM "
			+ "PB_STATE_ID)";

	/**
	 * The state database's identity ({@code PB_STATE_ID}, one random id made when it is first opened): what answer logs
	 * are written for, so that a state directory used with another database later keeps them for the right one.
	 * Databases created before it gain it.
	 */
	private static void createStateId(Connection c) throws SQLException {
		try (Statement s = c.createStatement()) {
			s.execute("CREATE TABLE IF NOT EXISTS PB_STATE_ID " + STATE_ID_COLUMNS);
		}
		try (java.sql.PreparedStatement insert = c.prepareStatement(STATE_ID_INSERT)) {
			insert.setString(1, UUID.randomUUID().toString());
			insert.executeUpdate();
		}
	}

	/** The identity of a state database whose tables this class checked or created. */
	public static String identity(JdbcTemplate jdbc) {
		return jdbc.queryForObject("SELECT ID FROM PB_STATE_ID", String.class);
	}

	/**
	 * The limits a run's partitions share, when missing (a database created before them gains them; new tables
	 * only, so the schema version stays): the request and token rates' buckets ({@link SharedRates}), and each run
	 * execution's budget and the shares of its concurrency and budget its partitions hold ({@link RunShares}).
	 */
	private static void createRunLimits(Statement s) throws SQLException {
		s.execute("CREATE TABLE IF NOT EXISTS " + SharedRates.TABLE + " (ID VARCHAR(64) PRIMARY KEY, STATE BYTEA, "
				+ "EXPIRES_AT BIGINT)");
		s.execute("CREATE TABLE IF NOT EXISTS PB_RUN_LIMIT (JOB_EXECUTION_ID BIGINT PRIMARY KEY, BUDGET_USD NUMERIC NOT "
				+ "NULL, SPENT_USD NUMERIC NOT NULL, REACHED BOOLEAN NOT NULL DEFAULT FALSE)");
		s.execute("CREATE TABLE IF NOT EXISTS PB_RUN_SHARE (JOB_EXECUTION_ID BIGINT NOT NULL, STEP_EXECUTION_ID BIGINT "
				+ "NOT NULL, SLOTS INT NOT NULL, RESERVED_USD NUMERIC NOT NULL, HEARTBEAT TIMESTAMP WITH TIME ZONE NOT "
				+ "NULL, PRIMARY KEY (JOB_EXECUTION_ID, STEP_EXECUTION_ID))");
	}

	/** Whether a table is on the connection's search path. */
	private static boolean exists(Statement s, String table) throws SQLException {
		try (ResultSet rs = s.executeQuery("SELECT to_regclass('" + table + "') IS NOT NULL")) {
			return rs.next() && rs.getBoolean(1);
		}
	}

	private static int version(Statement s) throws SQLException {
		try (ResultSet rs = s.executeQuery("SELECT MAX(VERSION) FROM PB_SCHEMA_VERSION")) {
			return rs.next() ? rs.getInt(1) : 0;
		}
	}

	/** The journal's index key of a request fingerprint (hexadecimal SHA-256): its first 64 bits. */
	public static long fingerprintKey(String fingerprint) {
		return Long.parseUnsignedLong(fingerprint.substring(0, 16), 16);
	}

	private static boolean tableExists(DatabaseMetaData meta, String table) throws SQLException {
		for (String name : new String[] { table, table.toLowerCase(Locale.ROOT) }) {
			try (ResultSet rs = meta.getTables(null, null, name, null)) {
				if (rs.next()) {
					return true;
				}
			}
		}
		return false;
	}

	private static String platform(String product) {
		String p = product.toLowerCase(Locale.ROOT);
		if (p.contains("h2")) {
			return "h2";
		}
		if (p.contains("postgres")) {
			return "postgresql";
		}
		throw new IllegalStateException("unsupported state database: " + product + " (use H2 or PostgreSQL)");
	}
}
