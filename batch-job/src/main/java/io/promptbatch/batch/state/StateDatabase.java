package io.promptbatch.batch.state;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import org.jspecify.annotations.Nullable;

/**
 * A shared state database ({@code --state-db}): a PostgreSQL JDBC URL and the credentials to use it. The
 * URL's own {@code user} and {@code password} parameters come first, then those given apart (from the
 * environment); without a password, the driver reads {@code ~/.pgpass} (or {@code PGPASSFILE}).
 *
 * <p>The password is held here only: {@link #url()} has none, and {@link #toString()} and every message
 * show the URL without it.
 *
 * @param url the URL without its {@code user} and {@code password} parameters
 * @param lease how long a run's owner may be silent before another process takes the run over
 */
public record StateDatabase(String url, @Nullable String user, @Nullable String password, Duration lease) {

	/** A run's owner is taken over after this long without a heartbeat, by default ({@code --state-db-lease}). */
	public static final String DEFAULT_LEASE = "60s";

	private static final String SCHEME = "jdbc:postgresql:";

	public StateDatabase {
		if (lease.compareTo(Duration.ofSeconds(1)) < 0) {
			throw new IllegalArgumentException("the lease of a run must be at least 1s, was " + lease.toMillis() + "ms");
		}
	}

	/**
	 * The state database at a URL, with the credentials given apart when the URL has none.
	 * @throws IllegalArgumentException when the URL is not a PostgreSQL JDBC URL
	 */
	public static StateDatabase of(String url, @Nullable String user, @Nullable String password, Duration lease) {
		String given = url.strip();
		if (!given.toLowerCase(Locale.ROOT).startsWith(SCHEME)) {
			throw new IllegalArgumentException("--state-db " + redact(given) + " is not a PostgreSQL JDBC URL: give one "
					+ "like jdbc:postgresql://HOST:5432/DATABASE (the H2 file under --state-dir is used when --state-db is "
					+ "not given)");
		}
		int query = given.indexOf('?');
		String base = query < 0 ? given : given.substring(0, query);
		List<String> kept = new ArrayList<>();
		String urlUser = null;
		String urlPassword = null;
		if (query >= 0) {
			for (String parameter : given.substring(query + 1).split("&")) {
				String name = parameter.split("=", 2)[0].toLowerCase(Locale.ROOT);
				String value = parameter.contains("=") ? decode(parameter.split("=", 2)[1]) : "";
				if (name.equals("user")) {
					urlUser = value;
				}
				else if (name.equals("password")) {
					urlPassword = value;
				}
				else if (!parameter.isEmpty()) {
					kept.add(parameter);
				}
			}
		}
		String clean = kept.isEmpty() ? base : base + "?" + String.join("&", kept);
		return new StateDatabase(clean, urlUser != null ? urlUser : blankToNull(user),
				urlPassword != null ? urlPassword : blankToNull(password), lease);
	}

	/**
	 * The URL as it may be shown: with its {@code user} parameter, never the password, nor any other parameter that
	 * holds one (a client certificate key's {@code sslpassword}).
	 */
	public String shown() {
		return redact(user == null ? url : url + (url.contains("?") ? "&" : "?") + "user=" + user);
	}

	@Override
	public String toString() {
		return shown();
	}

	/** The connection properties: the user and password, when given. */
	public Properties properties() {
		Properties p = new Properties();
		if (user != null) {
			p.setProperty("user", user);
		}
		if (password != null) {
			p.setProperty("password", password);
		}
		return p;
	}

	/**
	 * Opens one connection, to tell a database that cannot be used before anything starts on it.
	 * @throws StateDatabaseException naming the URL (without the password), what went wrong and what to do
	 */
	public void check() {
		try (Connection c = DriverManager.getConnection(url, properties())) {
			c.isValid(5);
		}
		catch (SQLException e) {
			throw new StateDatabaseException(cannotUse(e));
		}
	}

	/** Why the database cannot be used, and what to do, for a failure to connect. */
	String cannotUse(SQLException e) {
		String state = e.getSQLState() == null ? "" : e.getSQLState();
		String detail = redact(String.valueOf(e.getMessage()));
		String prefix = "the state database " + shown() + " ";
		// 08004: the server asked for a password and none was given (nor found in ~/.pgpass)
		if (state.equals("28P01") || state.equals("28000") || state.equals("08004")) {
			return prefix + "refused the login (" + detail + "): give the user and password in "
					+ "PROMPTBATCH_STATE_DB_USER and PROMPTBATCH_STATE_DB_PASSWORD (or ~/.pgpass)";
		}
		if (state.equals("3D000")) {
			return prefix + "does not exist (" + detail + "): create it (createdb, or CREATE DATABASE) or give "
					+ "another --state-db";
		}
		if (state.startsWith("08")) {
			return prefix + "cannot be reached (" + detail + "): is PostgreSQL running there and does it accept "
					+ "connections from this machine? Check the host and port of --state-db";
		}
		return prefix + "cannot be used (" + detail + (state.isEmpty() ? "" : ", SQL state " + state)
				+ "): check --state-db and its credentials";
	}

	/** The text with a password parameter it may hold taken out. */
	public static String redact(String text) {
		return text.replaceAll("(?i)(password=)[^&;\\s]*", "$1***").replaceAll("(//[^/:@\\s]+):[^@/\\s]+@", "$1:***@");
	}

	private static String decode(String value) {
		return java.net.URLDecoder.decode(value, java.nio.charset.StandardCharsets.UTF_8);
	}

	private static @Nullable String blankToNull(@Nullable String s) {
		return s == null || s.isBlank() ? null : s;
	}
}
