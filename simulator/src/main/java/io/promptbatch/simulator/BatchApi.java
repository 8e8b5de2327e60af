package io.promptbatch.simulator;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The simulator's Batch API, as OpenAI's and Kimi's: {@code /files} (upload, list, get, content,
 * delete) and {@code /batches} (create, get, list with {@code after}/{@code limit}, cancel), errors as
 * {@code {"error":{"message","type","code"}}}. Each line is answered by the code that answers a live
 * chat request ({@link ChatSimulator#answer}), without the live faults and latency.
 */
final class BatchApi {

	private static final Pattern FILES = Pattern.compile(".*/files(?:/([^/]+)(/content)?)?/?");

	private static final Pattern BATCHES = Pattern.compile(".*/batches(?:/([^/]+)(/cancel)?)?/?");

	private final SimulatorConfig config;
	private final SimulatorCounters counters;
	private final ScheduledExecutorService responder;
	private final BatchFiles files = new BatchFiles();
	private final SimulatedBatches batches;
	private final JsonMapper json = JsonMapper.builder().build();

	BatchApi(SimulatorConfig config, SimulatorCounters counters, ScheduledExecutorService responder,
			Function<JsonNode, ChatOutcome> answerer) {
		this.config = config;
		this.counters = counters;
		this.responder = responder;
		this.batches = new SimulatedBatches(config, files, answerer);
	}

	/** Whether the path is one of the Batch API's. */
	static boolean serves(String path) {
		return FILES.matcher(path).matches() || BATCHES.matcher(path).matches();
	}

	void handle(HttpExchange exchange) throws IOException {
		String path = exchange.getRequestURI().getPath();
		String method = exchange.getRequestMethod();
		String auth = exchange.getRequestHeaders().getFirst("Authorization");
		try {
			if (config.requiredKey != null && !("Bearer " + config.requiredKey).equals(auth)) {
				throw new BatchRequestException(401, "invalid_api_key", "The API key is invalid or missing.");
			}
			Matcher file = FILES.matcher(path);
			Matcher batch = BATCHES.matcher(path);
			if (file.matches()) {
				files(exchange, method, file.group(1), file.group(2) != null);
			}
			else if (batch.matches()) {
				batches(exchange, method, batch.group(1), batch.group(2) != null);
			}
		}
		catch (BatchRequestException e) {
			sendJson(exchange, e.status(), error(e));
		}
	}

	private void files(HttpExchange exchange, String method, @Nullable String id, boolean content) throws IOException {
		if (id == null && "POST".equals(method)) {
			upload(exchange);
		}
		else if (id == null && "GET".equals(method)) {
			ObjectNode list = json.createObjectNode().put("object", "list");
			ArrayNode data = list.putArray("data");
			files.list(query(exchange).get("purpose")).forEach(f -> data.add(f.toJson()));
			sendJson(exchange, 200, list);
		}
		else if (id != null && "GET".equals(method)) {
			BatchFiles.StoredFile stored = stored(id);
			if (content) {
				counters.fileDownloaded();
				send(exchange, 200, "application/octet-stream", stored.content());
			}
			else {
				sendJson(exchange, 200, stored.toJson());
			}
		}
		else if (id != null && !content && "DELETE".equals(method)) {
			if (!files.delete(id)) {
				stored(id);
			}
			sendJson(exchange, 200, json.createObjectNode().put("id", id).put("object", "file").put("deleted", true));
		}
		else {
			throw notAllowed(method, exchange);
		}
	}

	private void upload(HttpExchange exchange) throws IOException {
		List<Multipart.Part> parts;
		try {
			parts = Multipart.parse(exchange.getRequestHeaders().getFirst("Content-Type"),
					exchange.getRequestBody().readAllBytes());
		}
		catch (IllegalArgumentException e) {
			throw invalid("invalid_upload", "The upload could not be read: " + e.getMessage());
		}
		String purpose = null;
		Multipart.Part file = null;
		for (Multipart.Part part : parts) {
			if ("purpose".equals(part.name())) {
				purpose = part.text().strip();
			}
			else if ("file".equals(part.name())) {
				file = part;
			}
		}
		if (!BatchFiles.BATCH.equals(purpose)) {
			throw invalid("invalid_purpose", "purpose must be batch, was " + (purpose == null ? "missing" : "'" + purpose + "'"));
		}
		if (file == null || file.filename() == null) {
			throw invalid("missing_file", "The upload has no file field; send the JSONL file as form field 'file'");
		}
		String name = file.filename();
		if (!name.endsWith(".jsonl")) {
			throw invalid("invalid_file_format", "File '" + name + "' must have the .jsonl extension");
		}
		if (file.content().length == 0) {
			throw invalid("empty_file", "File '" + name + "' is empty; a batch file needs at least one line");
		}
		if (file.content().length > config.batchMaxBytes) {
			throw invalid("file_too_large", "File '" + name + "' has " + file.content().length + " bytes; at most "
					+ config.batchMaxBytes + " are allowed. Split it into smaller files");
		}
		if (config.batchMaxFiles > 0 && files.list(BatchFiles.BATCH).size() >= config.batchMaxFiles) {
			throw invalid("too_many_files", "At most " + config.batchMaxFiles
					+ " batch files may be stored; delete some with DELETE /files/{id}");
		}
		BatchFiles.StoredFile stored = files.store(name, BatchFiles.BATCH, file.content());
		counters.fileUploaded();
		byte[] body = json.writeValueAsBytes(stored.toJson());
		long delay = config.batchUploadDelay.toNanos();
		if (delay == 0) {
			send(exchange, 200, "application/json", body);
			return;
		}
		responder.schedule(() -> {
			try {
				send(exchange, 200, "application/json", body);
			}
			catch (IOException e) {
				exchange.close();
			}
		}, delay, TimeUnit.NANOSECONDS);
	}

	private void batches(HttpExchange exchange, String method, @Nullable String id, boolean cancel) throws IOException {
		if (id == null && "POST".equals(method)) {
			JsonNode request;
			try {
				request = json.readTree(exchange.getRequestBody().readAllBytes());
			}
			catch (RuntimeException e) {
				throw invalid("invalid_json", "The request body is not JSON");
			}
			SimulatedBatch batch = batches.create(request);
			counters.batchCreated();
			sendJson(exchange, 200, batch.toJson());
		}
		else if (id == null && "GET".equals(method)) {
			Map<String, String> query = query(exchange);
			int limit;
			try {
				limit = Integer.parseInt(query.getOrDefault("limit", Integer.toString(SimulatedBatches.DEFAULT_LIMIT)));
			}
			catch (NumberFormatException e) {
				throw invalid("invalid_limit", "limit must be a whole number, was '" + query.get("limit") + "'");
			}
			SimulatedBatches.Page page = batches.list(query.get("after"), limit);
			ObjectNode list = json.createObjectNode().put("object", "list");
			ArrayNode data = list.putArray("data");
			page.batches().forEach(b -> data.add(b.toJson()));
			list.put("first_id", page.batches().isEmpty() ? null : page.batches().get(0).id());
			list.put("last_id", page.batches().isEmpty() ? null : page.batches().get(page.batches().size() - 1).id());
			list.put("has_more", page.hasMore());
			sendJson(exchange, 200, list);
		}
		else if (id != null && !cancel && "GET".equals(method)) {
			sendJson(exchange, 200, batches.get(id).toJson());
		}
		else if (id != null && cancel && "POST".equals(method)) {
			SimulatedBatch batch = batches.cancel(id);
			counters.batchCancelled();
			sendJson(exchange, 200, batch.toJson());
		}
		else {
			throw notAllowed(method, exchange);
		}
	}

	private BatchFiles.StoredFile stored(String id) {
		BatchFiles.StoredFile stored = files.get(id);
		if (stored == null) {
			throw new BatchRequestException(404, "not_found", "No file with id '" + id + "'");
		}
		return stored;
	}

	private static Map<String, String> query(HttpExchange exchange) {
		Map<String, String> query = new HashMap<>();
		String raw = exchange.getRequestURI().getRawQuery();
		if (raw != null) {
			for (String pair : raw.split("&")) {
				int eq = pair.indexOf('=');
				if (eq > 0) {
					query.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
							URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
				}
			}
		}
		return query;
	}

	private static BatchRequestException invalid(String code, String message) {
		return new BatchRequestException(400, code, message);
	}

	private static BatchRequestException notAllowed(String method, HttpExchange exchange) {
		return new BatchRequestException(405, "method_not_allowed",
				method + " is not served on " + exchange.getRequestURI().getPath());
	}

	private ObjectNode error(BatchRequestException e) {
		ObjectNode body = json.createObjectNode();
		ObjectNode error = body.putObject("error");
		error.put("message", e.getMessage());
		error.put("type", e.status() >= 500 ? "server_error" : e.status() == 401 ? "authentication_error"
				: e.status() == 404 ? "not_found_error" : "invalid_request_error");
		error.put("code", e.code());
		return body;
	}

	private void sendJson(HttpExchange exchange, int status, JsonNode body) throws IOException {
		send(exchange, status, "application/json", json.writeValueAsBytes(body));
	}

	private static void send(HttpExchange exchange, int status, String contentType, byte[] bytes) throws IOException {
		exchange.getResponseHeaders().set("Content-Type", contentType);
		exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
		try (OutputStream out = exchange.getResponseBody()) {
			out.write(bytes);
		}
	}
}
