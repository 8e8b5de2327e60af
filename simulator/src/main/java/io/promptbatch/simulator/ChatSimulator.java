package io.promptbatch.simulator;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * An OpenAI/Kimi-compatible chat-completions server on a local port. It answers
 * {@code POST .../chat/completions} (plain JSON or SSE streaming) deterministically from the prompt,
 * with usage token counts, after a configurable latency, and injects faults at configurable rates.
 * {@code GET /counters} reports what it has seen. It also serves the Batch API ({@code /files},
 * {@code /batches}: {@link BatchApi}), whose lines get the answers a live request would.
 *
 * <p>With {@link SimulatorConfig.Builder#rateStreamError} some streams send an error event after a few
 * chunks and end without {@code [DONE]}. With {@link SimulatorConfig.Builder#answerTokens} every answer
 * has that many tokens, and with {@link SimulatorConfig.Builder#chunksPerSecond} streams send their
 * chunks at that pace, as reasoning models stream thousands of chunks.
 *
 * <p>A conversation that ends with the assistant's message is continued (Kimi's partial mode): the
 * answer is only the text added to it.
 *
 * <p>It is one piece, over 350 lines, because every way of answering (plain, streamed, paced, cut off,
 * faulted) shares the exchange's life: the one scheduler that delays responses, the in-flight counters
 * that must drop before a response leaves, and the fault draw made once per request. The answer's
 * content is apart ({@link SimulatedAnswers}, {@code SimulatedCompletion}, {@code SimulatedChat}); moving the stream writers
 * out is the next split if it grows.
 *
 * <p>A prompt may steer its own answer with directives: {@code [[sim:status=400]]} answers that
 * status, {@code [[sim:latency=1500]]} answers after that many milliseconds, {@code [[sim:tool]]}
 * answers with a call of the request's first tool when it has {@code tools}, {@code [[sim:refuse]]}
 * refuses ({@code content} null, a {@code refusal} text). The request's {@code n}
 * and {@code logprobs} are honoured ({@link SimulatedCompletion}).
 */
public final class ChatSimulator implements AutoCloseable {

	private static final Logger log = LoggerFactory.getLogger(ChatSimulator.class);

	static {
		// The JDK server writes headers and body separately; without TCP_NODELAY each response can wait
		// for the client's delayed ACK (40 ms), which caps throughput far below what the server can do.
		if (System.getProperty("sun.net.httpserver.nodelay") == null) {
			System.setProperty("sun.net.httpserver.nodelay", "true");
		}
	}

	private static final Pattern LATENCY_DIRECTIVE = Pattern.compile("\\[\\[sim:latency=(\\d+)]]");

	private final SimulatorConfig config;
	private final HttpServer server;
	private final ExecutorService workers;
	private final ScheduledExecutorService responder;
	private final SimulatorCounters counters = new SimulatorCounters();
	private final JsonMapper json = JsonMapper.builder().build();
	private final SplittableRandom random;
	private final ArrayDeque<Long> recentArrivals = new ArrayDeque<>();
	private final Set<HttpExchange> hanging = ConcurrentHashMap.newKeySet();
	private final java.util.concurrent.atomic.AtomicLong arrivals = new java.util.concurrent.atomic.AtomicLong();
	private final java.util.Queue<JsonNode> recorded = new java.util.concurrent.ConcurrentLinkedQueue<>();
	private final AtomicInteger recordedCount = new AtomicInteger();
	private final java.util.Queue<JsonNode> recordedResponses = new java.util.concurrent.ConcurrentLinkedQueue<>();
	private final AtomicInteger recordedResponseCount = new AtomicInteger();
	private final SimulatedChat chat;
	private final BatchApi batchApi;
	private volatile long failFrom = Long.MAX_VALUE;
	private volatile int failStatus;

	private ChatSimulator(SimulatorConfig config) throws IOException {
		this.config = config;
		this.random = new SplittableRandom(config.seed);
		this.chat = new SimulatedChat(config);
		this.server = HttpServer.create(new InetSocketAddress(config.host, config.port), 1024);
		AtomicInteger threadIds = new AtomicInteger();
		this.workers = Executors.newFixedThreadPool(config.workerThreads, r -> {
			Thread t = new Thread(r, "simulator-" + threadIds.incrementAndGet());
			t.setDaemon(true);
			return t;
		});
		ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(2, r -> {
			Thread t = new Thread(r, "simulator-responder-" + threadIds.incrementAndGet());
			t.setDaemon(true);
			return t;
		});
		scheduler.setRemoveOnCancelPolicy(true);
		this.responder = scheduler;
		this.batchApi = new BatchApi(config, counters, scheduler, this::batchAnswer);
		server.setExecutor(workers);
		server.createContext("/", this::handle);
	}

	/** Starts a simulator; close it to stop. */
	public static ChatSimulator start(SimulatorConfig config) throws IOException {
		ChatSimulator simulator = new ChatSimulator(config);
		simulator.server.start();
		log.info("Simulator listening on {} ({})", simulator.baseUrl(), config);
		return simulator;
	}

	public int port() {
		return server.getAddress().getPort();
	}

	/** The OpenAI-style base URL: append {@code /chat/completions}. */
	public String baseUrl() {
		return "http://" + config.host + ":" + port() + "/v1";
	}

	public SimulatorCounters counters() {
		return counters;
	}

	/** The bodies of the first chat requests, in arrival order, as many as {@code recordRequests} allows. */
	public List<JsonNode> recordedRequests() {
		return List.copyOf(recorded);
	}

	/**
	 * The bodies of the first answers, in the order they were made, as many as {@code recordRequests}
	 * allows: for a streamed answer, the non-streaming body its chunks add up to.
	 */
	public List<JsonNode> recordedResponses() {
		return List.copyOf(recordedResponses);
	}

	/**
	 * From the given request on (counting from 1, over the simulator's life), answers every request
	 * with {@code status}: 401 as a rejected key, 403 as an exhausted balance, others as plain errors.
	 */
	public void failFrom(long requestNumber, int status) {
		this.failStatus = status;
		this.failFrom = requestNumber;
	}

	/** Ends {@link #failFrom}: requests are answered normally again. */
	public void recover() {
		this.failFrom = Long.MAX_VALUE;
	}

	@Override
	public void close() {
		for (HttpExchange exchange : hanging) {
			exchange.close();
		}
		server.stop(0);
		responder.shutdownNow();
		workers.shutdownNow();
	}

	private void handle(HttpExchange exchange) throws IOException {
		String path = exchange.getRequestURI().getPath();
		try {
			if (path.endsWith("/counters")) {
				if ("POST".equals(exchange.getRequestMethod())) {
					counters.clear();
				}
				send(exchange, 200, counters.toJson(), null);
			}
			else if (path.endsWith("/chat/completions") && "POST".equals(exchange.getRequestMethod())) {
				chat(exchange);
			}
			else if (path.endsWith("/tokenizers/estimate-token-count") && "POST".equals(exchange.getRequestMethod())) {
				countTokens(exchange);
			}
			else if (BatchApi.serves(path)) {
				batchApi.handle(exchange);
			}
			else {
				send(exchange, 404, chat.errorBody("not_found", "No route for " + path), null);
			}
		}
		catch (IOException | RuntimeException e) {
			log.debug("Simulator failed on {}", path, e);
			exchange.close();
		}
	}

	private void chat(HttpExchange exchange) throws IOException {
		long arrival = System.nanoTime();
		byte[] body = exchange.getRequestBody().readAllBytes();
		JsonNode request;
		try {
			request = json.readTree(body);
		}
		catch (RuntimeException e) {
			counters.arrived();
			respond(exchange, arrival, 0, 400, chat.errorBody("invalid_request", "Request body is not JSON"), null);
			return;
		}
		Conversation conversation = Conversation.of(request);
		if (recordedCount.get() < config.recordRequests && recordedCount.incrementAndGet() <= config.recordRequests) {
			recorded.add(request);
		}
		counters.arrived();
		long arrivalNumber = arrivals.incrementAndGet();

		String auth = exchange.getRequestHeaders().getFirst("Authorization");
		if (config.requiredKey != null && !("Bearer " + config.requiredKey).equals(auth)) {
			respond(exchange, arrival, 0, 401, chat.errorBody("invalid_token", "The API token is invalid or missing."),
					null);
			return;
		}
		if (arrivalNumber >= failFrom) {
			respond(exchange, arrival, 0, failStatus, chat.errorBody(failStatus == 401 ? "invalid_token" : "failure_" + failStatus,
					failStatus == 403 ? "Insufficient balance, please recharge" : "Simulated status " + failStatus), null);
			return;
		}
		if (conversation.contents().isEmpty()) {
			respond(exchange, arrival, 0, 400, chat.noMessages(), null);
			return;
		}
		if (config.maxInFlight > 0 && counters.inFlight() > config.maxInFlight) {
			respond(exchange, arrival, 0, 429,
					chat.errorBody("too_many_requests", "The engine is currently overloaded, please try again later"),
					"1");
			return;
		}
		if (config.requestsPerMinute > 0 && !admitByRate(arrival)) {
			respond(exchange, arrival, 0, 429, chat.errorBody("too_many_requests", "Rate limit reached for requests"),
					"1");
			return;
		}

		int directed = conversation.directedStatus();
		if (directed > 0) {
			respond(exchange, arrival, 0, directed, chat.directedError(directed), null);
			return;
		}

		double draw;
		long latency;
		synchronized (random) {
			draw = random.nextDouble();
			latency = config.latency.drawNanos(random);
		}
		Matcher latencyDirective = LATENCY_DIRECTIVE.matcher(conversation.lastUser());
		if (latencyDirective.find()) {
			latency = TimeUnit.MILLISECONDS.toNanos(Long.parseLong(latencyDirective.group(1)));
		}

		double edge = config.rateHang;
		if (draw < edge) {
			counters.hung();
			hanging.add(exchange);
			return;
		}
		if (draw < (edge += config.rateReset)) {
			schedule(latency, () -> cut(exchange));
			return;
		}
		if (draw < (edge += config.rate429)) {
			respond(exchange, arrival, latency / 10, 429,
					chat.errorBody("too_many_requests", "Too many requests, please retry later"),
					Integer.toString(config.retryAfterSeconds));
			return;
		}
		if (draw < (edge += config.rate500)) {
			respond(exchange, arrival, latency / 10, 500, chat.serverError(), null);
			return;
		}
		boolean streamed = request.path("stream").asBoolean(false);
		boolean failMidStream = streamed && draw < edge + config.rateStreamError;

		SimulatedCompletion completion = chat.complete(request, conversation);
		if (recordedResponseCount.get() < config.recordRequests
				&& recordedResponseCount.incrementAndGet() <= config.recordRequests) {
			// as the JSON text it goes out as, read back
			recordedResponses.add(json.readTree(json.writeValueAsString(completion.body())));
		}
		if (streamed) {
			boolean includeUsage = request.path("stream_options").path("include_usage").asBoolean(false);
			// a failing stream sends half the first choice's pieces, then the error event
			int failAfter = failMidStream ? completion.firstChoicePieces() / 2 : -1;
			schedule(latency, () -> stream(exchange, arrival, completion.chunks(includeUsage, failAfter), failAfter >= 0));
			return;
		}
		respond(exchange, arrival, latency, 200, json.writeValueAsString(completion.body()), null);
	}

	/** A batch line's answer: 500 on the share {@code batchRate500} of the seeded draws, else {@link SimulatedChat#answer}. */
	private ChatOutcome batchAnswer(JsonNode request) {
		if (config.batchRate500 > 0) {
			double draw;
			synchronized (random) {
				draw = random.nextDouble();
			}
			if (draw < config.batchRate500) {
				return new ChatOutcome(500, chat.serverError());
			}
		}
		return chat.answer(request);
	}

	/** Moonshot's token-count endpoint: {@code {"data":{"total_tokens":N}}}, the same count a chat reports. */
	private void countTokens(HttpExchange exchange) throws IOException {
		JsonNode request = json.readTree(exchange.getRequestBody().readAllBytes());
		String auth = exchange.getRequestHeaders().getFirst("Authorization");
		if (config.requiredKey != null && !("Bearer " + config.requiredKey).equals(auth)) {
			send(exchange, 401, chat.errorBody("invalid_token", "The API token is invalid or missing."), null);
			return;
		}
		List<String> contents = new ArrayList<>();
		for (JsonNode message : request.path("messages")) {
			contents.add(message.path("content").asString(""));
		}
		counters.tokenCounted();
		send(exchange, 200, "{\"data\":{\"total_tokens\":" + SimulatedAnswers.promptTokensFor(contents) + "}}", null);
	}

	private boolean admitByRate(long now) {
		int perSecond = Math.max(1, config.requestsPerMinute / 60);
		synchronized (recentArrivals) {
			long windowStart = now - TimeUnit.SECONDS.toNanos(1);
			while (!recentArrivals.isEmpty() && recentArrivals.peekFirst() <= windowStart) {
				recentArrivals.pollFirst();
			}
			if (recentArrivals.size() >= perSecond) {
				return false;
			}
			recentArrivals.addLast(now);
			return true;
		}
	}

	private void stream(HttpExchange exchange, long arrival, List<ObjectNode> chunks, boolean fail) {
		try {
			exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
			exchange.getResponseHeaders().set("Cache-Control", "no-cache");
			exchange.sendResponseHeaders(200, 0);
			OutputStream out = exchange.getResponseBody();
			out.write(": keep-alive\n\n".getBytes(StandardCharsets.UTF_8));
			if (config.chunksPerSecond > 0) {
				List<byte[]> events = new ArrayList<>(chunks.size());
				for (ObjectNode chunk : chunks) {
					events.add(event(chunk));
				}
				new PacedStream(exchange, out, arrival, events, fail, System.nanoTime()).run();
				return;
			}
			for (ObjectNode chunk : chunks) {
				sendChunk(out, event(chunk));
			}
			endStream(exchange, out, arrival, fail);
		}
		catch (IOException | RuntimeException e) {
			counters.finished(-1, System.nanoTime() - arrival);
			exchange.close();
		}
	}

	private byte[] event(ObjectNode chunk) {
		return ("data: " + json.writeValueAsString(chunk) + "\n\n").getBytes(StandardCharsets.UTF_8);
	}

	private void sendChunk(OutputStream out, byte[] event) throws IOException {
		out.write(event);
		out.flush();
		counters.chunkSent();
	}

	/** After the last chunk: the error event of a failing stream, else {@code [DONE]}; then the stream ends. */
	private void endStream(HttpExchange exchange, OutputStream out, long arrival, boolean fail) throws IOException {
		if (fail) {
			out.write(("data: " + streamError() + "\n\n").getBytes(StandardCharsets.UTF_8));
			out.flush();
			counters.streamFailed();
		}
		else {
			out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
		}
		out.close();
		counters.finished(200, System.nanoTime() - arrival);
	}

	/**
	 * A stream that sends its chunks {@link SimulatorConfig#chunksPerSecond} apart, chunk {@code k} at
	 * {@code k} intervals after the first (so late runs do not add up), one scheduled task per chunk.
	 */
	private final class PacedStream implements Runnable {

		private final HttpExchange exchange;
		private final OutputStream out;
		private final long arrival;
		private final List<byte[]> events;
		private final boolean fail;
		private final long startNanos;
		private final double intervalNanos = 1e9 / config.chunksPerSecond;
		private int next;

		PacedStream(HttpExchange exchange, OutputStream out, long arrival, List<byte[]> events, boolean fail,
				long startNanos) {
			this.exchange = exchange;
			this.out = out;
			this.arrival = arrival;
			this.events = events;
			this.fail = fail;
			this.startNanos = startNanos;
		}

		@Override
		public void run() {
			try {
				if (next == events.size()) {
					endStream(exchange, out, arrival, fail);
					return;
				}
				sendChunk(out, events.get(next++));
				long due = startNanos + (long) (next * intervalNanos);
				// the stream ends right after its last chunk, as the unpaced one does
				schedule(next == events.size() ? 0 : Math.max(1, due - System.nanoTime()), this);
			}
			catch (IOException | RuntimeException e) {
				counters.finished(-1, System.nanoTime() - arrival);
				exchange.close();
			}
		}
	}

	private void cut(HttpExchange exchange) {
		try {
			exchange.getResponseHeaders().set("Content-Type", "application/json");
			exchange.sendResponseHeaders(200, 4096);
			OutputStream out = exchange.getResponseBody();
			out.write("{\"id\":\"chatcmpl-cut\",\"choi".getBytes(StandardCharsets.UTF_8));
			out.flush();
		}
		catch (IOException e) {
			// the point is to break the exchange
		}
		finally {
			counters.reset();
			exchange.close();
		}
	}

	private void respond(HttpExchange exchange, long arrival, long delayNanos, int status, String body,
			@Nullable String retryAfter) {
		schedule(delayNanos, () -> {
			// the request stops counting as in flight before its response leaves, as on a real server: a
			// client that sends its next request the moment it reads this answer must not find it counted
			counters.finished(status, System.nanoTime() - arrival);
			try {
				send(exchange, status, body, retryAfter);
			}
			catch (IOException e) {
				exchange.close();
			}
		});
	}

	private void schedule(long delayNanos, Runnable task) {
		if (delayNanos <= 0) {
			task.run();
		}
		else {
			responder.schedule(task, delayNanos, TimeUnit.NANOSECONDS);
		}
	}

	private static void send(HttpExchange exchange, int status, String body, @Nullable String retryAfter)
			throws IOException {
		byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
		exchange.getResponseHeaders().set("Content-Type", "application/json");
		if (retryAfter != null) {
			exchange.getResponseHeaders().set("Retry-After", retryAfter);
		}
		exchange.sendResponseHeaders(status, bytes.length);
		try (OutputStream out = exchange.getResponseBody()) {
			out.write(bytes);
		}
	}

	/** The error event llama.cpp sends when a stream fails after it started. */
	private String streamError() {
		ObjectNode event = json.createObjectNode();
		ObjectNode error = event.putObject("error");
		error.put("code", 500);
		error.put("type", "server_error");
		error.put("message", "Simulated failure in the middle of the stream");
		return json.writeValueAsString(event);
	}
}
