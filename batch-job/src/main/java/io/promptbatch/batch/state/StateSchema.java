package io.promptbatch.batch.state;

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Locale;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.InitializingBean;
import org.springframework.core.io.ClassPathResource;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.init.ResourceDatabasePopulator;

/**
 * Creates the state database's tables when they are missing: Spring Batch's job repository tables
 * (its own schema script for the database in use) and promptbatch's response journal.
 */
public final class StateSchema implements InitializingBean {

	private static final Logger log = LoggerFactory.getLogger(StateSchema.class);

	private final DataSource dataSource;

	public StateSchema(DataSource dataSource) {
		this.dataSource = dataSource;
	}

	@Override
	public void afterPropertiesSet() throws SQLException {
		String platform;
		boolean batchTables;
		try (Connection c = dataSource.getConnection()) {
			DatabaseMetaData meta = c.getMetaData();
			platform = platform(meta.getDatabaseProductName());
			batchTables = tableExists(meta, "BATCH_JOB_INSTANCE");
		}
		if (!batchTables) {
			log.info("Creating the job repository tables ({})", platform);
			new ResourceDatabasePopulator(
					new ClassPathResource("org/springframework/batch/core/schema-" + platform + ".sql"))
				.execute(dataSource);
		}
		new JdbcTemplate(dataSource).execute("CREATE TABLE IF NOT EXISTS PB_RESPONSE_JOURNAL ("
				+ "RUN_ID BIGINT NOT NULL, FINGERPRINT VARCHAR(64) NOT NULL, RESPONSE TEXT NOT NULL, "
				+ "CREATED_AT TIMESTAMP NOT NULL, PRIMARY KEY (RUN_ID, FINGERPRINT))");
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
