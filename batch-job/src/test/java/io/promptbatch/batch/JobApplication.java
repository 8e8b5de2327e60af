package io.promptbatch.batch;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The job's Spring application on a state directory, started before each test and closed after it:
 * {@code @RegisterExtension final JobApplication app = new JobApplication(() -> dir.resolve("state"), Map.of());}
 */
final class JobApplication implements BeforeEachCallback, AfterEachCallback {

	private final Supplier<Path> stateDir;

	private final Map<String, String> keys;

	private ConfigurableApplicationContext context;

	/**
	 * @param stateDir the state directory (read when each test starts, so that a {@code @TempDir} field works)
	 * @param keys the environment that API keys are read from
	 */
	JobApplication(Supplier<Path> stateDir, Map<String, String> keys) {
		this.stateDir = stateDir;
		this.keys = Map.copyOf(keys);
	}

	@Override
	public void beforeEach(ExtensionContext extension) {
		context = PromptBatchApplication.start(stateDir.get(), null, keys::get, Endpoints.IDENTITY,
				new StopSignal(Duration.ofSeconds(5)));
	}

	@Override
	public void afterEach(ExtensionContext extension) {
		if (context != null) {
			context.close();
		}
	}

	RunLauncher launcher() {
		return context.getBean(RunLauncher.class);
	}
}
