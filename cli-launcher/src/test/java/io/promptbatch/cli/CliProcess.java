package io.promptbatch.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.promptbatch.simulator.ChatSimulator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The command in a process of its own (the test's class path, no API key from the environment), its output
 * and errors in one log file: for tests that stop or kill it.
 */
public final class CliProcess {

	private static final List<String> LAUNCHER_JVM_OPTIONS = List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC");

	private final Path log;

	public CliProcess(Path log) {
		this.log = log;
	}

	/** Starts {@code promptbatch ARGS...}. */
	public Process start(String... args) throws IOException {
		return start(java.util.Map.of(), List.of(), args);
	}

	/**
	 * Starts {@code promptbatch ARGS...} with these environment variables added and these options of the JVM
	 * (such as {@code -Duser.home=DIR}).
	 */
	public Process start(java.util.Map<String, String> environment, List<String> jvmOptions, String... args)
			throws IOException {
		List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
		// the launcher's own options (./promptbatch): a child with the JVM's defaults spends about twice the CPU
		// (C2 compiling, G1's threads), which the other processes of a test wait for on a small machine
		command.addAll(LAUNCHER_JVM_OPTIONS);
		command.addAll(jvmOptions);
		command.addAll(List.of("-cp", System.getProperty("java.class.path"), PromptbatchMain.class.getName()));
		command.addAll(List.of(args));
		ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
		pb.environment().keySet().removeIf(k -> k.endsWith("_API_KEY") || k.endsWith("_API_TOKEN"));
		pb.environment().putAll(environment);
		return pb.start();
	}

	/** What the process wrote so far. */
	public String log() {
		try {
			return Files.readString(log);
		}
		catch (IOException e) {
			return e.toString();
		}
	}

	/** Waits (at most 60 s) until the server saw {@code requests} requests, or the process ended. */
	public static void awaitRequests(ChatSimulator sim, Process process, long requests) {
		await().atMost(Duration.ofSeconds(60))
			.pollInterval(Duration.ofMillis(5))
			.until(() -> sim.counters().requests() >= requests || !process.isAlive());
	}

	/** Kills (SIGKILL) the process, which must still be running (else its log says why not), and waits for its end. */
	public void kill(Process process) throws InterruptedException {
		assertThat(process.isAlive()).as(this::log).isTrue();
		process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
	}
}
