package io.promptbatch.core.client.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpHeaders;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ErrorMapperTests {

	private static HttpHeaders headers(Map<String, String> values) {
		Map<String, List<String>> map = new java.util.HashMap<>();
		values.forEach((k, v) -> map.put(k, List.of(v)));
		return HttpHeaders.of(map, (a, b) -> true);
	}

	@Test
	void readsRetryAfterInSeconds() {
		assertThat(ErrorMapper.retryAfter(headers(Map.of("retry-after", "3")))).isEqualTo(Duration.ofSeconds(3));
	}

	@Test
	void readsRetryAfterMillisFirst() {
		assertThat(ErrorMapper.retryAfter(headers(Map.of("retry-after-ms", "250", "retry-after", "3"))))
			.isEqualTo(Duration.ofMillis(250));
	}

	@Test
	void readsRetryAfterAsAnHttpDate() {
		String at = ZonedDateTime.now(ZoneOffset.UTC).plusSeconds(30).format(DateTimeFormatter.RFC_1123_DATE_TIME);
		Duration d = ErrorMapper.retryAfter(headers(Map.of("retry-after", at)));
		assertThat(d).isBetween(Duration.ofSeconds(27), Duration.ofSeconds(31));
	}

	@Test
	void readsRateLimitResetAsSecondsFromNow() {
		assertThat(ErrorMapper.retryAfter(headers(Map.of("x-ratelimit-reset", "2")))).isEqualTo(Duration.ofSeconds(2));
	}

	@Test
	void capsAbsurdRetryAfter() {
		assertThat(ErrorMapper.retryAfter(headers(Map.of("retry-after", "86400")))).isEqualTo(Duration.ofMinutes(2));
	}

	@Test
	void noHeaderMeansOwnBackoff() {
		assertThat(ErrorMapper.retryAfter(headers(Map.of()))).isNull();
	}

	@Test
	void tellsQuotaFromOverload() {
		assertThat(ErrorMapper.isQuota("insufficient_quota you exceeded your current quota")).isTrue();
		assertThat(ErrorMapper.isQuota("rate_limit_reached_error the engine is currently overloaded")).isFalse();
	}
}
