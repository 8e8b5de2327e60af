package io.promptbatch.batch;

/**
 * Maps a run's base URL, as recorded in its parameters, to the address actually called. The in-process
 * simulator is recorded as {@value #SIMULATOR} and called on whatever local port it got, so that the
 * same command is the same run whatever the port.
 */
@FunctionalInterface
public interface Endpoints {

	/** The recorded base URL of runs against the in-process simulator. */
	String SIMULATOR = "simulator://in-process";

	Endpoints IDENTITY = baseUrl -> baseUrl;

	/** Whether a run recorded with this base URL was answered by the in-process simulator (fake answers). */
	static boolean isSimulator(String recordedBaseUrl) {
		return SIMULATOR.equals(recordedBaseUrl);
	}

	String resolve(String baseUrl);
}
