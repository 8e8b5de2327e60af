package io.promptbatch.batch.partition;

import javax.sql.DataSource;
import org.springframework.beans.factory.InitializingBean;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The table of partition requests in a PostgreSQL state database, with the trigger that wakes the workers: Spring
 * Integration's {@code INT_CHANNEL_MESSAGE} as its {@code schema-postgresql.sql} declares it, created when missing,
 * under an advisory lock so that processes starting together create it once. (The trigger is commented out in that
 * script, and its function body cannot be split at semicolons, so both are declared here.)
 */
final class PartitionChannelSchema implements InitializingBean {

	/** The advisory lock held while the table is checked or created ("pbparts" in ASCII). */
	private static final long LOCK = 0x7062706172747300L;

	private final JdbcTemplate jdbc;
	private final TransactionTemplate transaction;

	PartitionChannelSchema(DataSource dataSource, PlatformTransactionManager transactionManager) {
		this.jdbc = new JdbcTemplate(dataSource);
		this.transaction = new TransactionTemplate(transactionManager);
	}

	@Override
	public void afterPropertiesSet() {
		transaction.executeWithoutResult(status -> {
			jdbc.execute("SELECT pg_advisory_xact_lock(" + LOCK + ")");
			Boolean exists = jdbc.queryForObject("SELECT to_regclass('int_channel_message') IS NOT NULL", Boolean.class);
			if (Boolean.TRUE.equals(exists)) {
				priorityIndex();
				return;
			}
			jdbc.execute("CREATE SEQUENCE IF NOT EXISTS INT_MESSAGE_SEQ START WITH 1 INCREMENT BY 1 NO CYCLE");
			jdbc.execute("""
					CREATE TABLE INT_CHANNEL_MESSAGE (
						MESSAGE_ID CHAR(36) NOT NULL,
						GROUP_KEY CHAR(36) NOT NULL,
						CREATED_DATE BIGINT NOT NULL,
						MESSAGE_PRIORITY BIGINT,
						MESSAGE_SEQUENCE BIGINT NOT NULL DEFAULT nextval('INT_MESSAGE_SEQ'),
						MESSAGE_CONTENT BYTEA,
						REGION VARCHAR(100) NOT NULL,
						constraint INT_CHANNEL_MESSAGE_PK primary key (REGION, GROUP_KEY, CREATED_DATE, MESSAGE_SEQUENCE)
					)""");
			jdbc.execute("CREATE INDEX INT_CHANNEL_MSG_DELETE_IDX ON INT_CHANNEL_MESSAGE (REGION, GROUP_KEY, MESSAGE_ID)");
			priorityIndex();
			jdbc.execute("""
					CREATE FUNCTION INT_CHANNEL_MESSAGE_NOTIFY_FCT() RETURNS TRIGGER AS $BODY$
					BEGIN
						PERFORM pg_notify('int_channel_message_notify', NEW.REGION || ' ' || NEW.GROUP_KEY);
						RETURN NEW;
					END;
					$BODY$ LANGUAGE PLPGSQL""");
			jdbc.execute("""
					CREATE TRIGGER INT_CHANNEL_MESSAGE_NOTIFY_TRG AFTER INSERT ON INT_CHANNEL_MESSAGE
					FOR EACH ROW EXECUTE PROCEDURE INT_CHANNEL_MESSAGE_NOTIFY_FCT()""");
		});
	}

	/**
	 * The index of the queue's order by priority (the script's commented-out {@code INT_CHANNEL_MSG_PRIORITY_IDX}): a
	 * partition sent again is taken first. Databases of earlier versions gain it.
	 */
	private void priorityIndex() {
		jdbc.execute("CREATE UNIQUE INDEX IF NOT EXISTS INT_CHANNEL_MSG_PRIORITY_IDX ON INT_CHANNEL_MESSAGE (REGION, "
				+ "GROUP_KEY, MESSAGE_PRIORITY DESC NULLS LAST, CREATED_DATE, MESSAGE_SEQUENCE)");
	}
}
