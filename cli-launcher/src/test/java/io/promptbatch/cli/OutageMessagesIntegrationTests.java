package io.promptbatch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.promptbatch.cli.CliFixtures.Result;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A provider that fails every request for a few seconds: stderr says that requests pause, and when they resume. */
class OutageMessagesIntegrationTests {

	private static final String OK_BODY = "{\"id\":\"chatcmpl-1\",\"model\":\"kimi-k2.5\",\"choices\":[{\"index\":0,"
			+ "\"message\":{\"role\":\"assistant\",\"content\":\"Hello there\"},\"finish_reason\":\"stop\"}],"
			+ "\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":3,\"total_tokens\":15}}";

	@TempDir
	Path dir;

	@Test
	void requestsPausedForAnOutageAreSaidOnStderrWithTheNextProbeAndTheirResumption() throws Exception {
		// given: a server that answers 503 to everything for 4 s from its first request, then answers
		AtomicLong firstRequest = new AtomicLong();
		AtomicInteger failed = new AtomicInteger();
		HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
		server.setExecutor(Executors.newFixedThreadPool(8));
		server.createContext("/", exchange -> {
			exchange.getRequestBody().readAllBytes();
			firstRequest.compareAndSet(0, System.nanoTime());
			boolean down = System.nanoTime() - firstRequest.get() < 4_000_000_000L;
			byte[] body = (down ? "{\"error\":{\"type\":\"server_error\",\"message\":\"down for maintenance\"}}" : OK_BODY)
				.getBytes(StandardCharsets.UTF_8);
			if (down) {
				failed.incrementAndGet();
			}
			exchange.getResponseHeaders().add("Content-Type", "application/json");
			exchange.sendResponseHeaders(down ? 503 : 200, body.length);
			try (OutputStream out = exchange.getResponseBody()) {
				out.write(body);
			}
		});
		server.start();
		try {
			Path input = CliFixtures.csv(dir, 40);
			Path output = dir.resolve("answers.jsonl");

			// when
			Result result = CliFixtures.execute(Map.of(), "run", "--base-url", "http://127.0.0.1:"
					+ server.getAddress().getPort() + "/v1", "--model", "kimi-k2.5", "--concurrency", "8",
					"--max-retries", "40", "--input", input.toString(), "--output", output.toString(), "--state-dir",
					dir.resolve("state").toString());

			// then: the pause, with its times, then the resumption, and every row answered
			assertThat(result.exitCode()).as(result.err()).isZero();
			assertThat(failed.get()).isGreaterThanOrEqualTo(20);
			String err = result.err();
			assertThat(err).containsPattern("promptbatch: provider unreachable since \\d\\d:\\d\\d:\\d\\d: requests "
					+ "paused, next probe at \\d\\d:\\d\\d:\\d\\d\n");
			assertThat(err).containsPattern("promptbatch: provider answers again: requests resumed at "
					+ "\\d\\d:\\d\\d:\\d\\d \\(paused since \\d\\d:\\d\\d:\\d\\d\\)\n");
			assertThat(err.indexOf("provider unreachable since")).isLessThan(err.indexOf("provider answers again"));
			assertThat(err).contains("completed: 40 rows, 40 ok, 0 failed");
			assertThat(CliFixtures.jsonl(output)).hasSize(40);
			System.out.println(err);
		}
		finally {
			server.stop(0);
		}
	}
}
