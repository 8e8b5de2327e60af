package io.promptbatch.cli;

import static io.promptbatch.cli.CliFixtures.execute;
import static org.assertj.core.api.Assertions.assertThat;

import io.promptbatch.cli.CliFixtures.Result;
import io.promptbatch.simulator.ChatSimulator;
import io.promptbatch.simulator.SimulatorConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class SimulatorCommandIntegrationTests {

	private static SimulatorConfig configOf(String... args) {
		CommandLine cl = PromptbatchCommand.commandLine(Map.of(), args);
		CommandLine.ParseResult parsed = cl.parseArgs(args);
		SimulatorCommand command = parsed.subcommand().commandSpec().commandLine().getCommand();
		return command.config();
	}

	private static HttpResponse<String> upload(HttpClient http, ChatSimulator sim, String content) throws Exception {
		String body = "--b1\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n"
				+ "--b1\r\nContent-Disposition: form-data; name=\"file\"; filename=\"part-1.jsonl\"\r\n\r\n" + content
				+ "\r\n--b1--\r\n";
		return http.send(HttpRequest.newBuilder(URI.create(sim.baseUrl() + "/files"))
			.header("Content-Type", "multipart/form-data; boundary=b1")
			.POST(HttpRequest.BodyPublishers.ofString(body))
			.build(), HttpResponse.BodyHandlers.ofString());
	}

	@Test
	void batchOptionsSetTheBatchApiOfTheSimulatorTheyStart() throws Exception {
		// when
		SimulatorConfig config = configOf("simulator", "--port", "0", "--batch-provider", "kimi", "--batch-duration",
				"500ms", "--batch-expire-after", "1s", "--batch-expire-first", "1", "--batch-rate-500", "0.25", "--batch-upload-delay", "300ms",
				"--batch-max-lines", "3", "--batch-max-bytes", "120", "--batch-max-files", "2");

		// then
		assertThat(config.batchDescription()).isEqualTo("batches as kimi, 500ms to run, expiring after 1000ms (the first 1), 500 on 0.25"
				+ " of lines, uploads answered after 300ms, at most 3 lines and 120 bytes a file, 2 batch files");
		try (ChatSimulator sim = ChatSimulator.start(config)) {
			HttpClient http = HttpClient.newHttpClient();
			HttpResponse<String> tooLarge = upload(http, sim, "x".repeat(121));
			assertThat(tooLarge.statusCode()).isEqualTo(400);
			assertThat(tooLarge.body()).contains("121 bytes").contains("at most 120");
			HttpResponse<String> stored = upload(http, sim, "{\"custom_id\":\"a\"}");
			assertThat(stored.statusCode()).isEqualTo(200);
			String fileId = stored.body().replaceAll(".*\"id\":\"([^\"]+)\".*", "$1");
			// Kimi's windows: 12h is accepted
			HttpResponse<String> batch = http.send(HttpRequest.newBuilder(URI.create(sim.baseUrl() + "/batches"))
				.POST(HttpRequest.BodyPublishers.ofString("{\"input_file_id\":\"" + fileId
						+ "\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"12h\"}"))
				.build(), HttpResponse.BodyHandlers.ofString());
			assertThat(batch.statusCode()).as(batch.body()).isEqualTo(200);
			assertThat(batch.body()).contains("\"completion_window\":\"12h\"");
		}
	}

	@Test
	void withoutBatchOptionsItPlaysOpenAiWithItsLimits() {
		assertThat(configOf("simulator").batchDescription())
			.isEqualTo("batches as openai, 2000ms to run, at most 50000 lines and 209715200 bytes a file");
		assertThat(configOf("simulator", "--batch-provider", "moonshot", "--batch-duration", "0").batchDescription())
			.isEqualTo("batches as kimi, 0ms to run, at most any number of lines and 104857600 bytes a file, 1000 batch files");
	}

	@Test
	void refusesABatchApiItDoesNotPlayWithExitTwo() {
		Result result = execute(Map.of(), "simulator", "--batch-provider", "anthropic");

		assertThat(result.exitCode()).isEqualTo(2);
		assertThat(result.err()).contains("'anthropic' is not a Batch API the simulator plays; write openai or kimi");
	}
}
