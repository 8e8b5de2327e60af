package io.promptbatch.simulator;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The Batch API of a simulator, called over HTTP with the JDK client: real multipart uploads, JSON back. */
final class BatchApiClient {

	static final JsonMapper JSON = JsonMapper.builder().build();

	private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

	private final String base;

	BatchApiClient(ChatSimulator simulator) {
		this.base = simulator.baseUrl();
	}

	/** One exchange: the status and the body (JSON read when it is JSON). */
	record Reply(int status, String text) {

		JsonNode json() {
			return JSON.readTree(text);
		}
	}

	Reply upload(String filename, String content) throws Exception {
		return upload(filename, content.getBytes(StandardCharsets.UTF_8), "batch");
	}

	Reply upload(String filename, byte[] content, String purpose) throws Exception {
		String boundary = "----promptbatch-test-" + System.nanoTime();
		ByteArrayOutputStream body = new ByteArrayOutputStream();
		body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\n" + purpose + "\r\n")
			.getBytes(StandardCharsets.UTF_8));
		body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + filename
				+ "\"\r\nContent-Type: application/jsonl\r\n\r\n").getBytes(StandardCharsets.UTF_8));
		body.write(content);
		body.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
		return send(HttpRequest.newBuilder(URI.create(base + "/files"))
			.header("Content-Type", "multipart/form-data; boundary=" + boundary)
			.POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())));
	}

	/** Uploads the lines as one file and returns its id. */
	String uploadLines(List<String> lines) throws Exception {
		Reply reply = upload("promptbatch-test.jsonl", String.join("\n", lines) + "\n");
		if (reply.status() != 200) {
			throw new AssertionError("upload refused: " + reply.text());
		}
		return reply.json().get("id").asString();
	}

	Reply get(String path) throws Exception {
		return send(HttpRequest.newBuilder(URI.create(base + path)).GET());
	}

	Reply delete(String path) throws Exception {
		return send(HttpRequest.newBuilder(URI.create(base + path)).DELETE());
	}

	Reply post(String path, String json) throws Exception {
		return send(HttpRequest.newBuilder(URI.create(base + path))
			.header("Content-Type", "application/json")
			.POST(HttpRequest.BodyPublishers.ofString(json)));
	}

	Reply createBatch(String fileId, String window) throws Exception {
		return post("/batches", "{\"input_file_id\":\"" + fileId + "\",\"endpoint\":\"/v1/chat/completions\","
				+ "\"completion_window\":\"" + window + "\",\"metadata\":{\"run\":\"7\",\"part\":\"1\"}}");
	}

	/** Creates a batch of these lines with a 24h window and returns its id. */
	String batchOf(List<String> lines) throws Exception {
		Reply reply = createBatch(uploadLines(lines), "24h");
		if (reply.status() != 200) {
			throw new AssertionError("batch refused: " + reply.text());
		}
		return reply.json().get("id").asString();
	}

	/** Polls the batch every 20 ms until it reaches one of the end states, for at most 20 s. */
	JsonNode awaitEnd(String batchId) throws Exception {
		long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
		while (System.nanoTime() < deadline) {
			JsonNode batch = get("/batches/" + batchId).json();
			if (List.of("completed", "failed", "expired", "cancelled").contains(batch.get("status").asString())) {
				return batch;
			}
			Thread.sleep(20);
		}
		throw new AssertionError("batch " + batchId + " did not end in 20 s");
	}

	/** The lines of a result file, read as JSON; none when the id is null. */
	List<JsonNode> fileLines(JsonNode fileId) throws Exception {
		List<JsonNode> lines = new ArrayList<>();
		if (fileId.isNull()) {
			return lines;
		}
		Reply content = get("/files/" + fileId.asString() + "/content");
		if (content.status() != 200) {
			throw new AssertionError("download refused: " + content.text());
		}
		for (String line : content.text().split("\n")) {
			lines.add(JSON.readTree(line));
		}
		return lines;
	}

	/** A live chat request's answer. */
	Reply chat(String body) throws Exception {
		return post("/chat/completions", body);
	}

	JsonNode counters() throws Exception {
		return JSON.readTree(http.send(HttpRequest.newBuilder(URI.create(base.replace("/v1", "") + "/counters")).build(),
				HttpResponse.BodyHandlers.ofString()).body());
	}

	private Reply send(HttpRequest.Builder request) throws Exception {
		HttpResponse<String> response = http.send(request.timeout(Duration.ofSeconds(10)).build(),
				HttpResponse.BodyHandlers.ofString());
		return new Reply(response.statusCode(), response.body());
	}

	/** A Batch API line asking for this chat body. */
	static String line(String customId, String body) {
		return "{\"custom_id\":\"" + customId + "\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":" + body + "}";
	}

	/** A chat body of one user message. */
	static String chatBody(String model, String prompt, String extra) {
		return "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"" + prompt + "\"}]" + extra + "}";
	}
}
