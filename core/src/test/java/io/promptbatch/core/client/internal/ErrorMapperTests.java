package io.promptbatch.core.client.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpHeaders;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import io.promptbatch.core.client.ChatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

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

	@ParameterizedTest(name = "HTTP {0} {1}")
	@CsvSource(delimiter = '|', value = {
			"500|{\"error\":{\"code\":500,\"type\":\"server_error\",\"message\":\"m\"}}",
			"503|{\"error\":{\"code\":503,\"type\":\"unavailable_error\",\"message\":\"Loading model\"}}",
			"429|{\"error\":{\"code\":429,\"message\":\"too many\"}}",
			"429|{\"error\":{\"code\":\"429\",\"message\":\"You exceeded your current quota\"}}",
			"400|{\"error\":{\"code\":400,\"type\":\"exceed_context_size_error\",\"message\":\"generate more\"}}",
			"401|{\"error\":{\"code\":401,\"message\":\"invalid key\"}}",
			"403|{\"error\":{\"status\":403,\"message\":\"insufficient balance\"}}" })
	void readsAStreamErrorEventAsTheHttpStatusItNames(int status, String body) {
		// given
		ErrorMapper mapper = new ErrorMapper("the key");
		byte[] bytes = body.getBytes(java.nio.charset.StandardCharsets.UTF_8);

		// when
		ChatException response = mapper.fromResponse(status, headers(Map.of()), bytes);
		ChatException event = mapper.fromStreamEvent(bytes, headers(Map.of()));

		// then
		assertThat(event).isExactlyInstanceOf(response.getClass());
		assertThat(event.status()).isEqualTo(status);
		assertThat(event.describe()).isEqualTo(response.describe());
	}
}
