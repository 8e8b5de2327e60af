package io.promptbatch.core.client;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real HTTP server on a free local port that answers from a script: each request takes the next
 * scripted response, and the last one repeats. Counts the requests it saw.
 */
public final class ScriptedServer implements AutoCloseable {

	public static final String OK_BODY = "{\"id\":\"chatcmpl-1\",\"model\":\"kimi-k2.5\",\"choices\":[{\"index\":0,"
			+ "\"message\":{\"role\":\"assistant\",\"content\":\"Hello there\",\"reasoning_content\":\"thinking\"},"
			+ "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":3,\"total_tokens\":15,"
			+ "\"cached_tokens\":4}}";

	/** One scripted answer. {@code status} 0 hangs (never answers); -1 cuts the connection mid-body. */
	public record Reply(int status, String body, Map<String, String> headers) {

		public static Reply ok() {
			return new Reply(200, OK_BODY, Map.of());
		}

		public static Reply of(int status, String body) {
			return new Reply(status, body, Map.of());
		}

		public static Reply hang() {
			return new Reply(0, "", Map.of());
		}

		public static Reply cut() {
			return new Reply(-1, "", Map.of());
		}

		public static Reply sse(String body) {
			return new Reply(200, body, Map.of("Content-Type", "text/event-stream"));
		}

		/** Sends the start of an event stream, then nothing more. */
		public static Reply stall(String partial) {
			return new Reply(-2, partial, Map.of("Content-Type", "text/event-stream"));
		}
	}

	private final HttpServer server;
	private final ConcurrentLinkedQueue<Reply> script = new ConcurrentLinkedQueue<>();
	private final List<HttpExchange> hanging = new ArrayList<>();
	private final AtomicInteger requests = new AtomicInteger();
	private volatile Reply last = Reply.ok();
	public final List<String> authorizations = new java.util.concurrent.CopyOnWriteArrayList<>();
	/** Each request's method and path with its query ({@code POST /v1/files}), in arrival order. */
	public final List<String> paths = new java.util.concurrent.CopyOnWriteArrayList<>();
	/** Each request's body, in arrival order. */
	public final List<String> bodies = new java.util.concurrent.CopyOnWriteArrayList<>();

	public ScriptedServer(Reply... replies) throws IOException {
		server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
		server.setExecutor(Executors.newCachedThreadPool());
		server.createContext("/", this::handle);
		for (Reply r : replies) {
			script.add(r);
		}
		if (replies.length > 0) {
			last = replies[replies.length - 1];
		}
		server.start();
	}

	public String baseUrl() {
		return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
	}

	public int requests() {
		return requests.get();
	}

	private void handle(HttpExchange exchange) throws IOException {
		bodies.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
		paths.add(exchange.getRequestMethod() + " " + exchange.getRequestURI());
		requests.incrementAndGet();
		String auth = exchange.getRequestHeaders().getFirst("Authorization");
		authorizations.add(auth == null ? "" : auth);
		Reply reply = script.poll();
		if (reply == null) {
			reply = last;
		}
		if (reply.status() == 0) {
			synchronized (hanging) {
				hanging.add(exchange);
			}
			return;
		}
		if (reply.status() == -2) {
			exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
			exchange.sendResponseHeaders(200, 0);
			exchange.getResponseBody().write(reply.body().getBytes(StandardCharsets.UTF_8));
			exchange.getResponseBody().flush();
			synchronized (hanging) {
				hanging.add(exchange);
			}
			return;
		}
		if (reply.status() == -1) {
			exchange.sendResponseHeaders(200, 1000);
			OutputStream out = exchange.getResponseBody();
			out.write("{\"id\":\"x\",\"cho".getBytes(StandardCharsets.UTF_8));
			out.flush();
			exchange.close();
			return;
		}
		byte[] body = reply.body().getBytes(StandardCharsets.UTF_8);
		reply.headers().forEach((k, v) -> exchange.getResponseHeaders().set(k, v));
		if (!reply.headers().containsKey("Content-Type")) {
			exchange.getResponseHeaders().set("Content-Type", "application/json");
		}
		exchange.sendResponseHeaders(reply.status(), reply.headers().getOrDefault("Content-Type", "").contains("event-stream")
				? 0 : body.length);
		try (OutputStream out = exchange.getResponseBody()) {
			out.write(body);
		}
	}

	@Override
	public void close() {
		synchronized (hanging) {
			hanging.forEach(HttpExchange::close);
		}
		server.stop(0);
	}
}
