package io.promptbatch.batch.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class StateDatabaseTests {

	private static final Duration LEASE = io.promptbatch.core.client.ClientSettings.duration(StateDatabase.DEFAULT_LEASE);

	@Test
	void theUrlsLoginIsTakenOutOfItAndThePasswordIsNeverShown() {
		// when
		StateDatabase db = StateDatabase.of("jdbc:postgresql://db.example:5432/pb?user=batch&password=s3cr%26t&ssl=true",
				"ignored-user", "ignored-password", LEASE);

		// then: the URL's own login wins over the one given apart, and the URL keeps its other parameters only
		assertThat(db.url()).isEqualTo("jdbc:postgresql://db.example:5432/pb?ssl=true");
		assertThat(db.user()).isEqualTo("batch");
		assertThat(db.password()).isEqualTo("s3cr&t");
		assertThat(db.shown()).isEqualTo("jdbc:postgresql://db.example:5432/pb?ssl=true&user=batch");
		assertThat(db.toString()).doesNotContain("s3cr");
		assertThat(db.properties()).containsEntry("user", "batch").containsEntry("password", "s3cr&t");
	}

	@Test
	void aClientKeysPasswordInTheUrlIsKeptForTheDriverButNeverShown() {
		// when
		StateDatabase db = StateDatabase.of("jdbc:postgresql://db.example/pb?sslkey=/k.pk8&sslpassword=k3y-s3cret", "u",
				null, LEASE);

		// then: the driver gets it, no text shows it
		assertThat(db.url()).contains("sslpassword=k3y-s3cret");
		assertThat(db.shown()).isEqualTo("jdbc:postgresql://db.example/pb?sslkey=/k.pk8&sslpassword=***&user=u");
		assertThat(db.toString()).doesNotContain("k3y-s3cret");
	}

	@Test
	void theLoginGivenApartIsUsedWhenTheUrlHasNone() {
		StateDatabase db = StateDatabase.of("jdbc:postgresql://127.0.0.1/pb", "batch", "pw", LEASE);
		assertThat(db.url()).isEqualTo("jdbc:postgresql://127.0.0.1/pb");
		assertThat(db.user()).isEqualTo("batch");
		assertThat(db.password()).isEqualTo("pw");
		// no password at all: the driver reads ~/.pgpass
		assertThat(StateDatabase.of("jdbc:postgresql://127.0.0.1/pb", null, " ", LEASE).properties()).isEmpty();
	}

	@Test
	void aUrlOfAnotherDatabaseIsRefusedWithoutShowingItsPassword() {
		assertThatThrownBy(() -> StateDatabase.of("jdbc:mysql://db.example/pb?password=hunter2", null, null, LEASE))
			.isInstanceOf(IllegalArgumentException.class)
			.hasMessageContaining("is not a PostgreSQL JDBC URL")
			.hasMessageContaining("jdbc:postgresql://HOST:5432/DATABASE")
			.hasMessageNotContaining("hunter2");
	}

	@Test
	void passwordsInAnyFormOfUrlAreRedacted() {
		assertThat(StateDatabase.redact("jdbc:postgresql://u:hunter2@h/db and ?PASSWORD=hunter2&x=1"))
			.isEqualTo("jdbc:postgresql://u:***@h/db and ?PASSWORD=***&x=1");
	}

	@Test
	void aLeaseShorterThanASecondIsRefused() {
		assertThatThrownBy(() -> StateDatabase.of("jdbc:postgresql://h/db", null, null, Duration.ofMillis(500)))
			.hasMessage("the lease of a run must be at least 1s, was 500ms");
	}
}
