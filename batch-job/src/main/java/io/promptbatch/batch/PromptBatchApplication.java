package io.promptbatch.batch;

import io.promptbatch.batch.journal.ResponseJournal;
import io.promptbatch.batch.partition.PartitionConfiguration;
import io.promptbatch.batch.partition.Partitioning;
import io.promptbatch.batch.state.AnswerLogs;
import io.promptbatch.batch.state.RunLeases;
import io.promptbatch.batch.state.StateDatabase;
import io.promptbatch.batch.state.StateDatabaseException;
import io.promptbatch.batch.state.StateSchema;
import io.promptbatch.core.cost.PriceTable;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.sql.DataSource;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.batch.core.configuration.support.JdbcDefaultBatchConfiguration;
import org.springframework.batch.core.job.Job;
import org.springframework.batch.core.launch.JobOperator;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.core.env.MapPropertySource;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.DependsOn;
import org.springframework.context.annotation.Import;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.annotation.Isolation;

/**
 * The Spring application behind every job command: the state database (H2 file under the state
 * directory by default, a shared PostgreSQL database with {@code --state-db}), Spring Batch's JDBC job
 * repository, and the job.
 *
 * <p>Its beans are declared here rather than taken from Boot's auto-configurations (data source,
 * transactions, JDBC template, batch), and {@link #start} refreshes a plain annotation context rather
 * than running a {@code SpringApplication}: evaluating the auto-configuration classes and their
 * conditions, and preparing Boot's environment, took about 0.35 s of every start, for beans that are
 * the same in every run.
 */
@Configuration(proxyBeanMethods = false)
@Import({ PromptBatchApplication.BatchInfrastructure.class, PromptBatchJobConfiguration.class })
public class PromptBatchApplication {

	private static final String STATE_DIR = "promptbatch.state-dir";

	/** Spring Batch's JDBC job repository and job operator, on the {@code dataSource} and {@code transactionManager} beans. */
	@Configuration(proxyBeanMethods = false)
	static class BatchInfrastructure extends JdbcDefaultBatchConfiguration {

		/**
		 * On a shared PostgreSQL state database, executions are created at READ COMMITTED rather than
		 * Spring Batch's SERIALIZABLE: there, two processes starting runs of other outputs at the same moment
		 * had one of them refused ("could not serialize access due to read/write dependencies"). Two
		 * starts of the same run are kept apart by its lease ({@link RunLeases}), taken before, and by the
		 * repository's unique job key.
		 */
		@Override
		protected Isolation getIsolationLevelForCreate() {
			return getDataSource() instanceof HikariDataSource pool && pool.getJdbcUrl() != null
					&& pool.getJdbcUrl().startsWith("jdbc:postgresql:") ? Isolation.READ_COMMITTED
							: super.getIsolationLevelForCreate();
		}
	}

	/**
	 * The state database's connection pool: the H2 file under the state directory (user {@code sa}), or the
	 * shared database of {@code --state-db} with its credentials.
	 */
	@Bean
	HikariDataSource dataSource(org.springframework.core.env.Environment environment,
			ObjectProvider<StateDatabase> stateDb) {
		StateDatabase shared = stateDb.getIfAvailable();
		HikariConfig config = new HikariConfig();
		config.setPoolName("promptbatch-state");
		config.setMaximumPoolSize(8);
		if (shared == null) {
			config.setJdbcUrl(h2Url(Path.of(environment.getRequiredProperty(STATE_DIR))));
			config.setUsername("sa");
			config.setPassword("");
		}
		else {
			config.setJdbcUrl(shared.url());
			config.setUsername(shared.user());
			config.setPassword(shared.password());
		}
		return new HikariDataSource(config);
	}

	@Bean
	DataSourceTransactionManager transactionManager(DataSource dataSource) {
		return new DataSourceTransactionManager(dataSource);
	}

	@Bean
	JdbcTemplate jdbcTemplate(DataSource dataSource) {
		return new JdbcTemplate(dataSource);
	}

	@Bean
	StateSchema stateSchema(DataSource dataSource, ObjectProvider<StateDatabase> stateDb) {
		StateDatabase shared = stateDb.getIfAvailable();
		return shared == null ? new StateSchema(dataSource) : new StateSchema(dataSource, shared.shown());
	}

	/** Who runs which run: kept in a shared state database; an H2 file is used by one process at a time. */
	@Bean
	@DependsOn("stateSchema")
	RunLeases runLeases(JdbcTemplate jdbcTemplate, PlatformTransactionManager transactionManager,
			ObjectProvider<StateDatabase> stateDb, StopSignal stopSignal) {
		StateDatabase shared = stateDb.getIfAvailable();
		return shared == null ? RunLeases.none()
				: RunLeases.shared(jdbcTemplate, transactionManager, shared.lease(), stopSignal::request);
	}

	@Bean
	@DependsOn("stateSchema")
	ResponseJournal responseJournal(JdbcTemplate jdbcTemplate,
			org.springframework.transaction.PlatformTransactionManager transactionManager,
			org.springframework.core.env.Environment environment, ObjectProvider<StateDatabase> stateDb) {
		Path stateDir = Path.of(environment.getRequiredProperty(STATE_DIR));
		StateDatabase shared = stateDb.getIfAvailable();
		// the answer log of this database: another database's answers left in the state directory stay for it
		return new ResponseJournal(jdbcTemplate, transactionManager, AnswerLogs.of(stateDir.resolve("answer-log"),
				StateSchema.identity(jdbcTemplate), shared == null ? "the H2 file " + stateDir.toAbsolutePath().normalize().resolve("promptbatch.mv.db")
						: shared.shown()));
	}

	@Bean
	RunProgress runProgress() {
		return new RunProgress();
	}

	@Bean
	PriceTable priceTable() {
		return PriceTable.bundled();
	}

	@Bean
	@DependsOn("stateSchema")
	RunLauncher runLauncher(JobOperator jobOperator, JobRepository jobRepository, Job promptBatchJob,
			RunLeases runLeases, ObjectProvider<io.promptbatch.batch.partition.PartitionedJob> runJob) {
		// with a shared state database, runs may also be carried out in partitions
		return new RunLauncher(jobOperator, jobRepository, runJob.getIfAvailable() != null ? runJob.getObject().job() : promptBatchJob, runLeases);
	}

	/**
	 * The JDBC URL of the H2 state database under a state directory. {@code WRITE_DELAY=500}: commits are
	 * written to the file in the background, at most half a second later, so that a busy run does not write
	 * the database's pages once per commit (at {@code WRITE_DELAY=0} the journal's commits were a third of the
	 * CPU samples of a busy run).
	 * A kill may thus take back the last half second of commits: answers are safe in the journal's answer
	 * log, and a chunk commit taken back only means its rows are written again from the journal.
	 * {@code MAX_COMPACT_TIME=0}: no compaction when the database closes, which took seconds after a busy
	 * run (6 s of a 14.5 s run of 20,000 rows); the space of old chunks is reused as the file is written.
	 */
	public static String h2Url(Path stateDir) {
		return "jdbc:h2:file:" + stateDir.toAbsolutePath().normalize().resolve("promptbatch")
				+ ";DB_CLOSE_ON_EXIT=FALSE;WRITE_DELAY=500;MAX_COMPACT_TIME=0";
	}

	/**
	 * Starts the application on a state directory.
	 * @param stateDb the shared state database, or null for the H2 file under {@code stateDir} (the state
	 *     directory keeps the answer log, the lock and the log file either way)
	 * @param apiKeys where keys are looked up, by variable name
	 * @param endpoints maps recorded base URLs to the addresses called
	 * @param stopSignal asks a running job to stop gracefully
	 * @throws StateDatabaseException when the shared state database cannot be used (not reached, the login
	 *     refused, missing, or of another schema version)
	 */
	public static ConfigurableApplicationContext start(Path stateDir, @Nullable StateDatabase stateDb,
			ApiKeys apiKeys, Endpoints endpoints, StopSignal stopSignal) {
		return start(stateDir, stateDb, apiKeys, endpoints, stopSignal, Partitioning.NONE);
	}

	/**
	 * Starts the application, as {@link #start(Path, StateDatabase, ApiKeys, Endpoints, StopSignal)}, taking
	 * partitions of runs when {@code partitioning} has slots (which needs the shared state database).
	 */
	public static ConfigurableApplicationContext start(Path stateDir, @Nullable StateDatabase stateDb,
			ApiKeys apiKeys, Endpoints endpoints, StopSignal stopSignal, Partitioning partitioning) {
		if (stateDb != null) {
			stateDb.check();
		}
		Map<String, Object> properties = new LinkedHashMap<>();
		properties.put(STATE_DIR, stateDir.toAbsolutePath().normalize().toString());
		AnnotationConfigApplicationContext context = new AnnotationConfigApplicationContext();
		context.getEnvironment().getPropertySources().addLast(new MapPropertySource("promptbatch", properties));
		context.getBeanFactory().registerSingleton("apiKeys", apiKeys);
		context.getBeanFactory().registerSingleton("endpoints", endpoints);
		context.getBeanFactory().registerSingleton("stopSignal", stopSignal);
		if (stateDb != null) {
			context.getBeanFactory().registerSingleton("stateDatabase", stateDb);
		}
		context.getBeanFactory().registerSingleton("partitioning", partitioning);
		context.register(PromptBatchApplication.class);
		if (stateDb != null) {
			context.register(PartitionConfiguration.class);
			if (partitioning.slots() > 0) {
				context.register(io.promptbatch.batch.partition.PartitionWorkerConfiguration.class);
			}
		}
		try {
			context.refresh();
		}
		catch (RuntimeException e) {
			for (Throwable cause = e; cause != null; cause = cause.getCause()) {
				if (cause instanceof StateDatabaseException unusable) {
					throw unusable;
				}
			}
			throw e;
		}
		return context;
	}
}
