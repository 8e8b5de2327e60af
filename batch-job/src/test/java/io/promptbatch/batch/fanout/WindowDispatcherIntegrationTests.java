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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The window with the real client against a real server on 127.0.0.1: what "in flight" means, in every mode. */
class WindowDispatcherIntegrationTests {

	private static final String ANSWER = "{\"id\":\"c\",\"model\":\"tiny\",\"choices\":[{\"index\":0,\"message\":"
			+ "{\"role\":\"assistant\",\"content\":\"ok\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":3,"
			+ "\"completion_tokens\":1,\"total_tokens\":4}}";

	private static final Pattern QUESTION = Pattern.compile("question (\\d+)");

	static Stream<Arguments> modesAndRefusals() {
		// with auto a 429 also shrinks the limit (that is what auto is for), so auto is shown with a 500 that names
		// its wait; auto up to 8 starts at 4, so that rows (8 at most before) and attempts (4) were counted apart
		return Stream.of(Arguments.of(Concurrency.fixed(2), 429), Arguments.of(Concurrency.fixed(2), 500),
				Arguments.of(Concurrency.auto(8), 500));
	}

	@ParameterizedTest(name = "{0}, HTTP {1}")
	@MethodSource("modesAndRefusals")
	void aRowWaitingOutRetryAfterKeepsItsSlotInEveryMode(Concurrency concurrency, int status) throws Exception {
		// given: a limit of n rows in flight (n = 2 fixed, 4 where auto starts); the server asks r0's first attempt to
		// wait 3 s, and holds every other request until the test lets them go
		List<String> arrivals = new CopyOnWriteArrayList<>();
		List<String> held = new CopyOnWriteArrayList<>();
		CountDownLatch answer = new CountDownLatch(1);
		AtomicInteger r0Arrivals = new AtomicInteger();
		HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
		server.setExecutor(Executors.newCachedThreadPool());
		server.createContext("/", exchange -> {
			String row = "r" + question(exchange);
			arrivals.add(row);
			// r0's first arrival, counted on its own: another row may arrive between the add above and this check
			if (row.equals("r0") && r0Arrivals.incrementAndGet() == 1) {
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
		int n = limit.limit();
		ChatClient client = ChatClient.builder()
			.baseUrl("http://127.0.0.1:" + server.getAddress().getPort() + "/v1")
			.attemptLimit(limit)
			.build();
		Halt halt = Fixtures.halt();
		WindowDispatcher dispatcher = new WindowDispatcher(WindowDispatcher.Sender.of(client), limit, 16,
				(fingerprint, response, attempts, latency) -> CompletableFuture.completedFuture(null),
				new RowFinisher(Fixtures.prices(), null, null, null, halt), halt);
		List<String> others = IntStream.range(1, n).mapToObj(i -> "r" + i).toList();
		try {
			// when: one row more than the limit
			Fixtures.feed(dispatcher, n + 1);

			// then: while r0 waits out its Retry-After, the n - 1 others are at the server and the next row is not sent:
			// r0 still holds its slot
			await().atMost(Duration.ofSeconds(2)).until(() -> held.containsAll(others));
			Thread.sleep(500);
			assertThat(arrivals).as("nothing sent in r0's place while it waits").hasSize(n)
				.containsOnlyOnce("r0")
				.doesNotContain("r" + n);
			assertThat(dispatcher.inFlight()).isEqualTo(n);

			// when: the held answers go out
			answer.countDown();

			// then: every row answered, in input order; r0 on its second attempt, after its wait
			List<AnswerRow> rows = Fixtures.drain(dispatcher);
			assertThat(Fixtures.ids(rows)).containsExactlyElementsOf(
					IntStream.rangeClosed(0, n).mapToObj(i -> "r" + i).toList());
			assertThat(rows).allSatisfy(r -> assertThat(r.status()).isEqualTo("ok"));
			assertThat(rows.get(0).attempts()).isEqualTo(2);
			assertThat(arrivals).hasSize(n + 2);
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
