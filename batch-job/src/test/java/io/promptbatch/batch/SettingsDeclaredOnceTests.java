package io.promptbatch.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.promptbatch.core.client.ChatClient;
import io.promptbatch.core.limit.ConcurrencyLimit;
import java.time.Duration;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** A run's settings and the client's builder refuse the same values with the same sentence: each check is one. */
class SettingsDeclaredOnceTests {

	private static final Duration ZERO = Duration.ZERO;

	private static final RunSpec.Resilience D = RunSpec.Resilience.DEFAULTS;

	@Test
	void theRunAndTheClientRefuseTheSameResilienceValuesInTheSameWords() {
		assertSameRefusal(() -> new RunSpec.Resilience(-1, D.timeout(), false, D.idleTimeout(), D.maxOutage(),
				D.maxRowTime()), b -> b.maxRetries(-1));
		assertSameRefusal(() -> new RunSpec.Resilience(1, ZERO, false, D.idleTimeout(), D.maxOutage(), D.maxRowTime()),
				b -> b.timeout(ZERO));
		assertSameRefusal(() -> new RunSpec.Resilience(1, D.timeout(), true, ZERO, D.maxOutage(), D.maxRowTime()),
				b -> b.idleTimeout(ZERO));
		assertSameRefusal(() -> new RunSpec.Resilience(1, D.timeout(), false, D.idleTimeout(), ZERO, D.maxRowTime()),
				b -> b.maxOutage(ZERO));
		assertSameRefusal(() -> new RunSpec.Resilience(1, D.timeout(), false, D.idleTimeout(), D.maxOutage(), ZERO),
				b -> b.maxRowTime(ZERO));
		assertSameRefusal(() -> new RunSpec.Throughput(Concurrency.fixed(1), -5, 0, 100), b -> b.requestsPerMinute(-5));
		assertSameRefusal(() -> new RunSpec.Throughput(Concurrency.fixed(1), 0, -5, 100), b -> b.tokensPerMinute(-5));
	}

	@Test
	void theConcurrencyAndItsLimitRefuseZeroInTheSameWords() {
		Throwable run = catchThrowable(() -> Concurrency.auto(0));
		assertThat(run).isInstanceOf(IllegalArgumentException.class).hasMessage("concurrency must be at least 1, was 0");
		assertThat(catchThrowable(() -> ConcurrencyLimit.fixed(0))).hasMessage(run.getMessage());
		assertThat(catchThrowable(() -> ConcurrencyLimit.adaptive(0))).hasMessage(run.getMessage());
	}

	private static void assertSameRefusal(Runnable runSetting, Consumer<ChatClient.Builder> clientSetting) {
		Throwable run = catchThrowable(runSetting::run);
		Throwable client = catchThrowable(() -> clientSetting.accept(ChatClient.builder()));
		assertThat(run).isInstanceOf(IllegalArgumentException.class);
		assertThat(client).isInstanceOf(IllegalArgumentException.class).hasMessage(run.getMessage());
	}
}
