package io.promptbatch.batch.fanout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.promptbatch.batch.Concurrency;
import io.promptbatch.core.client.ChatClient;
import io.promptbatch.core.limit.ConcurrencyLimit;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The window with the real client against a real server on 127.0.0.1: what "in flight" means. */
class WindowDispatcherIntegrationTests {

	private static final String ANSWER = "{\"id\":\"c\",\"model\":\"tiny\",\"choices\":[{\"index\":0,\"message\":"
			+ "{\"role\":\"assistant\",\"content\":\"ok\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":3,"
			+ "\"completion_tokens\":1,\"total_tokens\":4}}";

	private static final Pattern QUESTION = Pattern.compile("question (\\d+)");

	static Stream<Arguments> modesAndRefusals() {
		// with auto a 429 also shrinks the limit (that is what auto is for); a 503 asked to wait does the same, so
		// auto is shown with a 500 that names its wait
		return Stream.of(Arguments.of(Concurrency.fixed(2), 429), Arguments.of(Concurrency.fixed(2), 500),
				Arguments.of(Concurrency.auto(2), 500));
	}

	@ParameterizedTest(name = "{0}, HTTP {1}")
	@MethodSource("modesAndRefusals")
	void aRowWaitingOutRetryAfterLeavesItsSlotToTheNextRow(Concurrency concurrency, int status) throws Exception {
		// given: two requests in flight at most; the server asks r0's first attempt to wait 3 s, and holds every other
		// request until the test lets them go
		List<String> arrivals = new CopyOnWriteArrayList<>();
		List<String> held = new CopyOnWriteArrayList<>();
		CountDownLatch answer = new CountDownLatch(1);
		HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
		server.setExecutor(Executors.newCachedThreadPool());
		server.createContext("/", exchange -> {
			String row = "r" + question(exchange);
			arrivals.add(row);
			if (row.equals("r0") && arrivals.indexOf("r0") == arrivals.size() - 1) {
				exchange.getResponseHeaders().add("retry-after-ms", "3000");
				reply(exchange, status, "{\"error\":{\"message\":\"wait\",\"type\":\"rate_limit_reached_error\"}}");
				return;
			}
			held.add(row);
			try {
				answer.await(30, TimeUnit.SECONDS);
			}
			catch (InterruptedException e) {
				Thread.currentThread().interrupt();
			}
			reply(exchange, 200, ANSWER);
		});
		server.start();
		ConcurrencyLimit limit = concurrency.limit();
		ChatClient client = ChatClient.builder()
			.baseUrl("http://127.0.0.1:" + server.getAddress().getPort() + "/v1")
			.attemptLimit(limit)
			.build();
		Halt halt = Fixtures.halt();
		WindowDispatcher dispatcher = new WindowDispatcher(WindowDispatcher.Sender.of(client), limit, 8,
				(fingerprint, response, attempts, latency) -> CompletableFuture.completedFuture(null),
				new RowFinisher(Fixtures.prices(), null, null, null, halt), halt);
		try {
			// when: three rows
			Fixtures.feed(dispatcher, 3);

			// then: while r0 waits out its Retry-After, r1 and r2 are both at the server: r0 holds no slot
			await().atMost(Duration.ofSeconds(2)).until(() -> held.containsAll(List.of("r1", "r2")));
			assertThat(arrivals).as("r0 retried only after its wait").containsOnlyOnce("r0");
			assertThat(dispatcher.inFlight()).isEqualTo(2);

			// when: the held answers go out
			answer.countDown();

			// then: every row answered, in input order; r0 on its second attempt, after its wait
			List<AnswerRow> rows = Fixtures.drain(dispatcher);
			assertThat(Fixtures.ids(rows)).containsExactly("r0", "r1", "r2");
			assertThat(rows).allSatisfy(r -> assertThat(r.status()).isEqualTo("ok"));
			assertThat(rows.get(0).attempts()).isEqualTo(2);
			assertThat(arrivals).containsExactlyInAnyOrder("r0", "r1", "r2", "r0");
			await().atMost(Duration.ofSeconds(5)).until(() -> limit.inFlight() == 0);
		}
		finally {
			answer.countDown();
			dispatcher.close();
			server.stop(0);
		}
	}

	private static String question(HttpExchange exchange) throws IOException {
		String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
		Matcher m = QUESTION.matcher(body);
		return m.find() ? m.group(1) : "?";
	}

	private static void reply(HttpExchange exchange, int status, String body) throws IOException {
		byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
		exchange.getResponseHeaders().add("Content-Type", "application/json");
		exchange.sendResponseHeaders(status, bytes.length);
		exchange.getResponseBody().write(bytes);
		exchange.close();
	}
}
