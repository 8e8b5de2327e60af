package io.promptbatch.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Assumptions;

/**
 * A throwaway PostgreSQL server for tests: a cluster made with the installed {@code initdb} under a temporary
 * directory, started with {@code pg_ctl} on a free port of 127.0.0.1, and stopped and deleted when the JVM ends.
 * PostgreSQL refuses to run as root, so as root both run as user {@code postgres} ({@code runuser}).
 *
 * <p>One server serves every test of a JVM; each test takes a database of its own ({@link #newDatabase}),
 * owned by a login with a password ({@link #user()}, {@link #password()}). Where no PostgreSQL is installed,
 * {@link #shared()} skips the test, naming the package to install.
 */
public final class PostgresServer {

	private static final String USER = "promptbatch_test";

	private static @Nullable PostgresServer shared;

	private static @Nullable String unavailable;

	private final Path bin;
	private final Path dir;
	private final int port;
	private final String superPassword = "su-" + UUID.randomUUID();
	private final String password = "pw-" + UUID.randomUUID();
	private final AtomicInteger databases = new AtomicInteger();

	private PostgresServer(Path bin, Path dir, int port) {
		this.bin = bin;
		this.dir = dir;
		this.port = port;
	}

	/**
	 * The JVM's server, started on first use; a test calling this is skipped (with the reason) where
	 * PostgreSQL is not installed or its server cannot start.
	 */
	public static synchronized PostgresServer shared() {
		if (shared == null && unavailable == null) {
			Optional<Path> bin = binaries();
			if (bin.isEmpty()) {
				unavailable = "these tests need a PostgreSQL server: install Debian's postgresql package "
						+ "(apt-get install postgresql; no initdb under /usr/lib/postgresql/*/bin), or set "
						+ "PROMPTBATCH_PG_BIN to the directory of initdb and pg_ctl";
			}
			else {
				// the free port is chosen before the server binds it: another JVM running tests at the same time may
				// take it in between, so a failed start is tried again on another port
				for (int attempt = 1; shared == null && attempt <= 3; attempt++) {
					try {
						shared = start(bin.get());
						unavailable = null;
					}
					catch (IOException | RuntimeException e) {
						unavailable = "PostgreSQL from " + bin.get() + " did not start (" + attempt + " attempts): "
								+ e.getMessage();
					}
				}
			}
		}
		Assumptions.assumeTrue(shared != null, () -> unavailable);
		return shared;
	}

	/** The directory of {@code initdb} and {@code pg_ctl}: {@code PROMPTBATCH_PG_BIN}, else the newest under /usr/lib/postgresql. */
	static Optional<Path> binaries() {
		String given = System.getenv("PROMPTBATCH_PG_BIN");
		if (given != null && !given.isBlank()) {
			return Optional.of(Path.of(given)).filter(p -> Files.isExecutable(p.resolve("initdb")));
		}
		Path root = Path.of("/usr/lib/postgresql");
		if (!Files.isDirectory(root)) {
			return Optional.empty();
		}
		try (Stream<Path> versions = Files.list(root)) {
			return versions.map(v -> v.resolve("bin"))
				.filter(b -> Files.isExecutable(b.resolve("initdb")) && Files.isExecutable(b.resolve("pg_ctl")))
				.max(Comparator.comparingInt(PostgresServer::major));
		}
		catch (IOException e) {
			return Optional.empty();
		}
	}

	private static int major(Path bin) {
		try {
			return Integer.parseInt(bin.getParent().getFileName().toString());
		}
		catch (NumberFormatException e) {
			return 0;
		}
	}

	private static PostgresServer start(Path bin) throws IOException {
		Path dir = Files.createTempDirectory("promptbatch-pg-");
		int port;
		try (ServerSocket socket = new ServerSocket(0)) {
			port = socket.getLocalPort();
		}
		PostgresServer server = new PostgresServer(bin, dir, port);
		Runtime.getRuntime().addShutdownHook(new Thread(server::stopAndDelete, "promptbatch-pg-stop"));
		Path pwfile = dir.resolve("superuser-password");
		Files.writeString(pwfile, server.superPassword + "\n", StandardCharsets.UTF_8);
		server.giveToPostgres(dir);
		server.postgres(List.of(bin.resolve("initdb").toString(), "-D", dir.resolve("data").toString(), "-U", "postgres",
				"--pwfile=" + pwfile, "--auth=scram-sha-256", "--no-sync", "-E", "UTF8", "--locale=C"));
		Files.delete(pwfile);
		// fsync off: a test server's data need not survive a power cut, and the machine's disk is shared
		server.postgres(List.of(bin.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(), "-l",
				dir.resolve("server.log").toString(), "-w", "-t", "60", "-o", "-p " + port + " -k " + dir
						+ " -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200",
				"start"));
		try (Connection c = server.connectAsSuperuser("postgres"); Statement s = c.createStatement()) {
			s.execute("CREATE ROLE " + USER + " LOGIN PASSWORD '" + server.password + "'");
		}
		catch (SQLException e) {
			throw new IOException("cannot create the test login: " + e.getMessage(), e);
		}
		return server;
	}

	/** A new, empty database owned by {@link #user()}; its name. */
	public String newDatabase() {
		String name = "pb_test_" + databases.incrementAndGet();
		try (Connection c = connectAsSuperuser("postgres"); Statement s = c.createStatement()) {
			s.execute("CREATE DATABASE " + name + " OWNER " + USER);
		}
		catch (SQLException e) {
			throw new IllegalStateException("cannot create database " + name + ": " + e.getMessage(), e);
		}
		return name;
	}

	/** The JDBC URL of a database, without credentials. */
	public String url(String database) {
		return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
	}

	public int port() {
		return port;
	}

	/** The test login, owner of every {@link #newDatabase}. */
	public String user() {
		return USER;
	}

	public String password() {
		return password;
	}

	/** A connection to a database as the server's superuser, for a test's own setup or inspection. */
	public Connection connectAsSuperuser(String database) throws SQLException {
		return DriverManager.getConnection(url(database), "postgres", superPassword);
	}

	/** The test login's connection to a database. */
	public Connection connect(String database) throws SQLException {
		return DriverManager.getConnection(url(database), USER, password);
	}

	private void stopAndDelete() {
		try {
			if (Files.exists(dir.resolve("data").resolve("postmaster.pid"))) {
				postgres(List.of(bin.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(), "-m", "immediate",
						"-w", "stop"));
			}
		}
		catch (IOException | RuntimeException e) {
			System.err.println("could not stop the test PostgreSQL server in " + dir + ": " + e.getMessage());
		}
		try (Stream<Path> files = Files.walk(dir)) {
			files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
		}
		catch (IOException e) {
			System.err.println("could not delete " + dir + ": " + e.getMessage());
		}
	}

	private static boolean root() {
		return "root".equals(System.getProperty("user.name"));
	}

	private void giveToPostgres(Path path) throws IOException {
		if (root()) {
			run(List.of("chown", "-R", "postgres:", path.toString()));
		}
	}

	/** Runs a PostgreSQL program, as user postgres when this is root. */
	private void postgres(List<String> command) throws IOException {
		List<String> full = new ArrayList<>();
		if (root()) {
			full.addAll(List.of("runuser", "-u", "postgres", "--"));
		}
		full.addAll(command);
		run(full);
	}

	private void run(List<String> command) throws IOException {
		Path out = Files.createTempFile("promptbatch-pg-cmd-", ".log");
		try {
			Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
			if (!p.waitFor(90, TimeUnit.SECONDS)) {
				p.destroyForcibly();
				throw new IOException(String.join(" ", command) + " did not end within 90 s");
			}
			if (p.exitValue() != 0) {
				throw new IOException(String.join(" ", command) + " exited with " + p.exitValue() + ": "
						+ Files.readString(out, StandardCharsets.UTF_8).strip());
			}
		}
		catch (InterruptedException e) {
			Thread.currentThread().interrupt();
			throw new IOException("interrupted", e);
		}
		finally {
			try {
				Files.deleteIfExists(out);
			}
			catch (IOException e) {
				throw new UncheckedIOException(e);
			}
		}
	}
}
