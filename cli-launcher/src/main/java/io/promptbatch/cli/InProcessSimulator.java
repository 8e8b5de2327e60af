package io.promptbatch.cli;

import io.promptbatch.batch.Endpoints;
import io.promptbatch.simulator.ChatSimulator;
import io.promptbatch.simulator.Latency;
import io.promptbatch.simulator.SimulatorConfig;
import java.io.IOException;
import java.time.Duration;

/**
 * The simulator behind {@code --provider simulator}: started in-process on a free port, with a
 * realistic latency, and recorded in runs as {@link Endpoints#SIMULATOR} whatever the port.
 */
final class InProcessSimulator implements AutoCloseable {

	private final ChatSimulator simulator;

	private InProcessSimulator(ChatSimulator simulator) {
		this.simulator = simulator;
	}

	static InProcessSimulator start() throws IOException {
		return new InProcessSimulator(ChatSimulator.start(SimulatorConfig.builder()
			.latency(Latency.lognormal(Duration.ofMillis(120), 0.5))
			.build()));
	}

	/** Maps the recorded simulator URL to this one's address; other URLs stay as they are. */
	Endpoints endpoints() {
		String local = simulator.baseUrl();
		return url -> Endpoints.SIMULATOR.equals(url) ? local : url;
	}

	@Override
	public void close() {
		simulator.close();
	}
}
