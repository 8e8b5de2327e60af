package io.promptbatch.simulator;

import static io.promptbatch.simulator.BatchApiClient.chatBody;
import static io.promptbatch.simulator.BatchApiClient.line;
import static org.assertj.core.api.Assertions.assertThat;

import io.promptbatch.simulator.BatchApiClient.Reply;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

class BatchApiIntegrationTests {

	private static List<String> plainLines(int n, String model) {
		List<String> lines = new ArrayList<>();
		for (int i = 1; i <= n; i++) {
			lines.add(line("r" + i, chatBody(model, "Question number " + i, "")));
		}
		return lines;
	}

	private static List<String> customIds(List<JsonNode> lines) {
		return lines.stream().map(l -> l.get("custom_id").asString()).toList();
	}

	/** A body without what differs between two answers to the same request (its id, time and trace id). */
	private static JsonNode comparable(JsonNode body) {
		ObjectNode copy = (ObjectNode) body.deepCopy();
		copy.remove(List.of("id", "created", "trace_id"));
		return copy;
	}

	@Test
	void uploadsListsGetsDownloadsAndDeletesFiles() throws Exception {
		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder().build())) {
			BatchApiClient api = new BatchApiClient(sim);
			String content = line("a", chatBody("kimi-k2.5", "one", "")) + "\n" + line("b", chatBody("kimi-k2.5", "two", "")) + "\n";
			long before = System.currentTimeMillis() / 1000;

			// when
			Reply first = api.upload("promptbatch-run-7-part-2.jsonl", content);
			Reply second = api.upload("promptbatch-run-7-part-3.jsonl", "{\"x\":1}\n");

			// then: the file object
			assertThat(first.status()).as(first.text()).isEqualTo(200);
			JsonNode file = first.json();
			String id = file.get("id").asString();
			assertThat(id).startsWith("file-");
			assertThat(file.get("object").asString()).isEqualTo("file");
			assertThat(file.get("bytes").asLong()).isEqualTo(content.getBytes(StandardCharsets.UTF_8).length);
			assertThat(file.get("filename").asString()).isEqualTo("promptbatch-run-7-part-2.jsonl");
			assertThat(file.get("purpose").asString()).isEqualTo("batch");
			assertThat(file.get("created_at").asLong()).isBetween(before, before + 5);
			String secondId = second.json().get("id").asString();

			// listed newest first, got, downloaded byte for byte
			JsonNode list = api.get("/files?purpose=batch").json();
			assertThat(list.get("object").asString()).isEqualTo("list");
			assertThat(list.get("data").valueStream().map(f -> f.get("id").asString()).toList()).containsExactly(secondId, id);
			assertThat(api.get("/files?purpose=batch_output").json().get("data").isEmpty()).isTrue();
			assertThat(api.get("/files/" + id).json()).isEqualTo(file);
			assertThat(api.get("/files/" + id + "/content").text()).isEqualTo(content);

			// deleted, then gone
			Reply deleted = api.delete("/files/" + id);
			assertThat(deleted.json().get("deleted").asBoolean()).isTrue();
			assertThat(deleted.json().get("id").asString()).isEqualTo(id);
			Reply gone = api.get("/files/" + id);
			assertThat(gone.status()).isEqualTo(404);
			assertThat(gone.json().at("/error/message").asString()).contains(id);
			assertThat(api.delete("/files/" + id).status()).isEqualTo(404);
			assertThat(api.get("/files").json().get("data").valueStream().map(f -> f.get("id").asString()).toList())
				.containsExactly(secondId);
			assertThat(sim.counters().filesUploaded()).isEqualTo(2);
			assertThat(sim.counters().fileDownloads()).isEqualTo(1);
		}
	}

	@Test
	void refusesUploadsThatAreNotJsonlOrEmptyOrTooLargeOrNotForBatches() throws Exception {
		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder().batchMaxBytes(100).build())) {
			BatchApiClient api = new BatchApiClient(sim);

			Reply csv = api.upload("prompts.csv", "id,prompt\n1,hi\n");
			Reply empty = api.upload("part-1.jsonl", "");
			Reply large = api.upload("part-2.jsonl", "x".repeat(101));
			Reply purpose = api.upload("part-3.jsonl", "{}\n".getBytes(StandardCharsets.UTF_8), "fine-tune");
			Reply fits = api.upload("part-4.jsonl", "x".repeat(100));

			assertThat(csv.status()).isEqualTo(400);
			assertThat(csv.json().at("/error/message").asString()).contains("prompts.csv").contains(".jsonl");
			assertThat(csv.json().at("/error/type").asString()).isEqualTo("invalid_request_error");
			assertThat(empty.status()).isEqualTo(400);
			assertThat(empty.json().at("/error/message").asString()).contains("part-1.jsonl").contains("empty");
			assertThat(large.status()).isEqualTo(400);
			assertThat(large.json().at("/error/message").asString()).contains("part-2.jsonl").contains("101 bytes")
				.contains("at most 100");
			assertThat(purpose.status()).isEqualTo(400);
			assertThat(purpose.json().at("/error/message").asString()).contains("purpose must be batch").contains("fine-tune");
			assertThat(fits.status()).isEqualTo(200);
			assertThat(api.get("/files").json().get("data").size()).isEqualTo(1);
			assertThat(sim.counters().filesUploaded()).isEqualTo(1);
		}
	}

	@Test
	void takesABatchThroughItsStatesWithRequestCountsRising() throws Exception {
		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder().batchDuration(Duration.ofSeconds(1)).build())) {
			BatchApiClient api = new BatchApiClient(sim);
			String fileId = api.uploadLines(plainLines(20, "kimi-k2.5"));

			// when
			JsonNode created = api.createBatch(fileId, "24h").json();

			// then: validating, nothing counted yet
			assertThat(created.get("id").asString()).startsWith("batch_");
			assertThat(created.get("object").asString()).isEqualTo("batch");
			assertThat(created.get("status").asString()).isEqualTo("validating");
			assertThat(created.get("input_file_id").asString()).isEqualTo(fileId);
			assertThat(created.get("endpoint").asString()).isEqualTo("/v1/chat/completions");
			assertThat(created.get("completion_window").asString()).isEqualTo("24h");
			assertThat(created.get("errors").isNull()).isTrue();
			assertThat(created.get("output_file_id").isNull()).isTrue();
			assertThat(created.get("in_progress_at").isNull()).isTrue();
			assertThat(created.get("expires_at").asLong()).isEqualTo(created.get("created_at").asLong() + 24 * 3600);
			assertThat(created.get("request_counts").get("total").asInt()).isZero();
			assertThat(created.get("metadata")).isEqualTo(BatchApiClient.JSON.readTree("{\"run\":\"7\",\"part\":\"1\"}"));

			// polled: the states in order, the count rising while in progress
			List<String> states = new ArrayList<>();
			List<Integer> inProgressCounts = new ArrayList<>();
			JsonNode batch = created;
			long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
			while (!batch.get("status").asString().equals("completed") && System.nanoTime() < deadline) {
				Thread.sleep(10);
				batch = api.get("/batches/" + created.get("id").asString()).json();
				String status = batch.get("status").asString();
				if (states.isEmpty() || !states.get(states.size() - 1).equals(status)) {
					states.add(status);
				}
				if (status.equals("in_progress")) {
					assertThat(batch.get("request_counts").get("total").asInt()).isEqualTo(20);
					inProgressCounts.add(batch.get("request_counts").get("completed").asInt());
				}
			}
			// (finalizing lasts 0.1 s: a slow poll may miss it, its timestamp says it was there)
			assertThat(List.of("validating", "in_progress", "finalizing", "completed")).containsSubsequence(states);
			assertThat(states).contains("in_progress", "completed");
			assertThat(inProgressCounts).isSorted();
			assertThat(inProgressCounts.stream().filter(c -> c > 0 && c < 20).distinct().count()).isGreaterThanOrEqualTo(3);
			assertThat(batch.get("request_counts").get("completed").asInt()).isEqualTo(20);
			assertThat(batch.get("request_counts").get("failed").asInt()).isZero();
			assertThat(batch.get("output_file_id").isString()).isTrue();
			assertThat(batch.get("error_file_id").isNull()).isTrue();
			long inProgressAt = batch.get("in_progress_at").asLong();
			assertThat(inProgressAt).isGreaterThanOrEqualTo(batch.get("created_at").asLong());
			assertThat(batch.get("finalizing_at").asLong()).isGreaterThanOrEqualTo(inProgressAt);
			assertThat(batch.get("completed_at").asLong()).isGreaterThanOrEqualTo(batch.get("finalizing_at").asLong());
			assertThat(batch.get("failed_at").isNull()).isTrue();
			assertThat(api.fileLines(batch.get("output_file_id"))).hasSize(20);
		}
	}

	@Test
	void answersEachLineAsTheLiveEndpointDoesInAnotherOrder() throws Exception {
		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder().batchDuration(Duration.ZERO).build())) {
			BatchApiClient api = new BatchApiClient(sim);
			String model = "kimi-k2-thinking";
			Map<String, String> bodies = new LinkedHashMap<>();
			bodies.put("plain", chatBody(model, "Why is the sky blue?", ""));
			bodies.put("two-choices", chatBody(model, "Name a colour", ",\"n\":2,\"logprobs\":true"));
			bodies.put("capped", chatBody(model, "Tell me a long story about caps", ",\"max_tokens\":6"));
			bodies.put("json", chatBody(model, "Answer in JSON", ",\"response_format\":{\"type\":\"json_object\"}"));
			bodies.put("turns", "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},"
					+ "{\"role\":\"user\",\"content\":\"Plan a trip\"},{\"role\":\"assistant\",\"content\":\"Where to?\"},"
					+ "{\"role\":\"user\",\"content\":\"Kyoto\"}]}");
			bodies.put("refused", chatBody(model, "[[sim:refuse]] something forbidden", ""));
			bodies.put("rejected", chatBody(model, "[[sim:status=400]] rejected for itself", ""));
			bodies.put("tool", chatBody(model, "[[sim:tool]] look it up", ",\"tools\":[{\"type\":\"function\","
					+ "\"function\":{\"name\":\"search\",\"parameters\":{}}}]"));
			for (int i = 1; i <= 6; i++) {
				bodies.put("more-" + i, chatBody(model, "Another question " + i, ""));
			}
			List<String> lines = new ArrayList<>();
			bodies.forEach((id, body) -> lines.add(line(id, body)));

			// when
			JsonNode batch = api.awaitEnd(api.batchOf(lines));

			// then: every line answered exactly as a live request for the same body is
			assertThat(batch.get("status").asString()).isEqualTo("completed");
			List<JsonNode> output = api.fileLines(batch.get("output_file_id"));
			List<JsonNode> errors = api.fileLines(batch.get("error_file_id"));
			assertThat(output).hasSize(13);
			assertThat(errors).hasSize(1);
			assertThat(batch.get("request_counts").get("completed").asInt()).isEqualTo(13);
			assertThat(batch.get("request_counts").get("failed").asInt()).isEqualTo(1);
			List<JsonNode> all = new ArrayList<>(output);
			all.addAll(errors);
			for (JsonNode result : all) {
				String customId = result.get("custom_id").asString();
				Reply live = api.chat(bodies.get(customId));
				assertThat(result.get("id").asString()).startsWith("batch_req_");
				assertThat(result.get("error").isNull()).isTrue();
				assertThat(result.at("/response/request_id").asString()).isNotEmpty();
				assertThat(result.at("/response/status_code").asInt()).as(customId).isEqualTo(live.status());
				assertThat(comparable(result.at("/response/body"))).as(customId).isEqualTo(comparable(live.json()));
			}
			assertThat(errors.get(0).get("custom_id").asString()).isEqualTo("rejected");
			assertThat(errors.get(0).at("/response/status_code").asInt()).isEqualTo(400);
			assertThat(output.stream().filter(r -> r.get("custom_id").asString().equals("refused")).findFirst().orElseThrow()
				.at("/response/body/choices/0/message/refusal").asString()).isEqualTo(SimulatedCompletion.REFUSAL);
			// in an order other than the input's
			List<String> inputOrder = new ArrayList<>(bodies.keySet());
			inputOrder.remove("rejected");
			assertThat(customIds(output)).containsExactlyInAnyOrderElementsOf(inputOrder).isNotEqualTo(inputOrder);
			// the batch's lines are not live requests: the live endpoint saw only the 14 comparisons
			assertThat(sim.counters().requests()).isEqualTo(14);
		}
	}

	@Test
	void failsValidationNamingEachBadLineAndAnswersNothing() throws Exception {
		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder().batchDuration(Duration.ofMillis(200)).build())) {
			BatchApiClient api = new BatchApiClient(sim);
			List<String> lines = List.of(
					line("ok-1", chatBody("kimi-k2.5", "fine", "")),
					"{\"custom_id\":\"broken\",\"method\":\"POST\",",
					line("ok-1", chatBody("kimi-k2.5", "same id again", "")),
					line("other-model", chatBody("gpt-4o-mini", "second model", "")),
					"{\"custom_id\":\"wrong-url\",\"method\":\"POST\",\"url\":\"/v1/embeddings\",\"body\":"
							+ chatBody("kimi-k2.5", "x", "") + "}",
					"{\"custom_id\":\"wrong-method\",\"method\":\"GET\",\"url\":\"/v1/chat/completions\",\"body\":"
							+ chatBody("kimi-k2.5", "x", "") + "}",
					"{\"custom_id\":\"no-body\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\"}",
					line("no-model", "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"),
					"{\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":" + chatBody("kimi-k2.5", "x", "") + "}",
					line("ok-2", chatBody("kimi-k2.5", "also fine", "")));

			// when
			JsonNode batch = api.awaitEnd(api.batchOf(lines));

			// then: failed, one error per bad line, naming it
			assertThat(batch.get("status").asString()).isEqualTo("failed");
			assertThat(batch.get("failed_at").isNumber()).isTrue();
			assertThat(batch.get("in_progress_at").isNull()).isTrue();
			JsonNode data = batch.at("/errors/data");
			assertThat(batch.at("/errors/object").asString()).isEqualTo("list");
			List<String> found = new ArrayList<>();
			for (JsonNode error : data) {
				found.add(error.get("line").asInt() + " " + error.get("code").asString() + " " + error.get("param").asString(""));
			}
			assertThat(found).containsExactly("2 invalid_json_line ", "3 duplicate_custom_id custom_id",
					"4 mismatched_model body.model", "5 invalid_url url", "6 invalid_method method", "7 missing_body body",
					"8 missing_model body.model", "9 missing_custom_id custom_id");
			assertThat(data.get(1).get("message").asString()).contains("ok-1").contains("line 1");
			assertThat(data.get(2).get("message").asString()).contains("gpt-4o-mini").contains("kimi-k2.5");
			assertThat(data.get(3).get("message").asString()).contains("/v1/embeddings");
			// nothing answered
			assertThat(batch.get("output_file_id").isNull()).isTrue();
			assertThat(batch.get("error_file_id").isNull()).isTrue();
			assertThat(batch.get("request_counts").get("total").asInt()).isZero();
			assertThat(batch.get("request_counts").get("completed").asInt()).isZero();
			assertThat(api.get("/files?purpose=batch_output").json().get("data").isEmpty()).isTrue();
		}
	}

	@Test
	void failsAFileWithMoreLinesThanTheLimit() throws Exception {
		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder().batchDuration(Duration.ZERO).batchMaxLines(3).build())) {
			BatchApiClient api = new BatchApiClient(sim);

			JsonNode over = api.awaitEnd(api.batchOf(plainLines(4, "kimi-k2.5")));
			JsonNode within = api.awaitEnd(api.batchOf(plainLines(3, "kimi-k2.5")));

			assertThat(over.get("status").asString()).isEqualTo("failed");
			assertThat(over.at("/errors/data")).hasSize(1);
			assertThat(over.at("/errors/data/0/code").asString()).isEqualTo("too_many_lines");
			assertThat(over.at("/errors/data/0/line").asInt()).isEqualTo(4);
			assertThat(over.at("/errors/data/0/message").asString()).contains("4 lines").contains("at most 3");
			assertThat(within.get("status").asString()).isEqualTo("completed");
		}
	}

	@Test
	void expiresWithTheLinesDoneSoFarInTheOutputAndTheRestInTheErrorFile() throws Exception {
		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder()
			.batchDuration(Duration.ofSeconds(2))
			.batchExpireAfter(Duration.ofSeconds(1))
			.build())) {
			BatchApiClient api = new BatchApiClient(sim);

			JsonNode batch = api.awaitEnd(api.batchOf(plainLines(40, "kimi-k2.5")));

			assertThat(batch.get("status").asString()).isEqualTo("expired");
			assertThat(batch.get("expired_at").isNumber()).isTrue();
			assertThat(batch.get("completed_at").isNull()).isTrue();
			assertThat(batch.get("expires_at").asLong()).isEqualTo(batch.get("created_at").asLong() + 1);
			List<JsonNode> output = api.fileLines(batch.get("output_file_id"));
			List<JsonNode> errors = api.fileLines(batch.get("error_file_id"));
			// 0.2 s validating, then 0.8 s of a 2 s run at an even pace: 16 of 40 answered, however late it is read
			assertThat(output).hasSize(16);
			assertThat(batch.get("request_counts").get("completed").asInt()).isEqualTo(output.size());
			assertThat(errors).hasSize(40 - output.size()).allSatisfy(e -> {
				assertThat(e.get("response").isNull()).isTrue();
				assertThat(e.at("/error/code").asString()).isEqualTo("batch_expired");
				assertThat(e.at("/error/message").asString()).isNotEmpty();
			});
			Set<String> ids = new HashSet<>(customIds(output));
			ids.addAll(customIds(errors));
			assertThat(ids).hasSize(40);
		}
	}

	@Test
	void cancelsABatchKeepingTheLinesDoneSoFar() throws Exception {
		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder().batchDuration(Duration.ofSeconds(2)).build())) {
			BatchApiClient api = new BatchApiClient(sim);
			String id = api.batchOf(plainLines(40, "kimi-k2.5"));
			JsonNode running;
			do {
				Thread.sleep(20);
				running = api.get("/batches/" + id).json();
			}
			while (running.get("request_counts").get("completed").asInt() < 5);

			// when
			Reply cancel = api.post("/batches/" + id + "/cancel", "");

			// then: cancelling, then cancelled with what was done kept
			assertThat(cancel.status()).as(cancel.text()).isEqualTo(200);
			assertThat(cancel.json().get("status").asString()).isEqualTo("cancelling");
			assertThat(cancel.json().get("cancelling_at").isNumber()).isTrue();
			int doneAtCancel = cancel.json().get("request_counts").get("completed").asInt();
			JsonNode batch = api.awaitEnd(id);
			assertThat(batch.get("status").asString()).isEqualTo("cancelled");
			assertThat(batch.get("cancelled_at").isNumber()).isTrue();
			List<JsonNode> output = api.fileLines(batch.get("output_file_id"));
			List<JsonNode> errors = api.fileLines(batch.get("error_file_id"));
			assertThat(output).hasSize(doneAtCancel);
			assertThat(doneAtCancel).isBetween(5, 39);
			assertThat(errors).hasSize(40 - doneAtCancel)
				.allSatisfy(e -> assertThat(e.at("/error/code").asString()).isEqualTo("batch_cancelled"));
			// a batch that has ended cannot be cancelled; an unknown one is not found
			Reply again = api.post("/batches/" + id + "/cancel", "");
			assertThat(again.status()).isEqualTo(400);
			assertThat(again.json().at("/error/message").asString()).contains(id).contains("cancelled");
			assertThat(api.post("/batches/batch_nope/cancel", "").status()).isEqualTo(404);
			assertThat(sim.counters().batchesCancelled()).isEqualTo(1);
		}
	}

	@Test
	void listsBatchesNewestFirstPagingWithAfterAndLimit() throws Exception {
		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder().batchDuration(Duration.ZERO).build())) {
			BatchApiClient api = new BatchApiClient(sim);
			String fileId = api.uploadLines(plainLines(2, "kimi-k2.5"));
			List<String> created = new ArrayList<>();
			for (int i = 0; i < 22; i++) {
				created.add(api.createBatch(fileId, "24h").json().get("id").asString());
			}
			List<String> newestFirst = new ArrayList<>(created);
			java.util.Collections.reverse(newestFirst);

			// when
			JsonNode page1 = api.get("/batches?limit=2").json();
			JsonNode page2 = api.get("/batches?limit=2&after=" + page1.get("last_id").asString()).json();
			JsonNode last = api.get("/batches?limit=5&after=" + newestFirst.get(18)).json();
			JsonNode byDefault = api.get("/batches").json();

			// then
			assertThat(page1.get("object").asString()).isEqualTo("list");
			assertThat(ids(page1)).containsExactly(newestFirst.get(0), newestFirst.get(1));
			assertThat(page1.get("first_id").asString()).isEqualTo(newestFirst.get(0));
			assertThat(page1.get("last_id").asString()).isEqualTo(newestFirst.get(1));
			assertThat(page1.get("has_more").asBoolean()).isTrue();
			assertThat(ids(page2)).containsExactly(newestFirst.get(2), newestFirst.get(3));
			assertThat(ids(last)).containsExactlyElementsOf(newestFirst.subList(19, 22));
			assertThat(last.get("has_more").asBoolean()).isFalse();
			assertThat(ids(byDefault)).containsExactlyElementsOf(newestFirst.subList(0, 20));
			assertThat(byDefault.get("has_more").asBoolean()).isTrue();
			// listed batches have moved on like fetched ones
			assertThat(byDefault.get("data").get(0).get("status").asString()).isEqualTo("completed");
			assertThat(api.get("/batches?limit=101").status()).isEqualTo(400);
			assertThat(api.get("/batches?limit=0").status()).isEqualTo(400);
			Reply unknown = api.get("/batches?after=batch_nope");
			assertThat(unknown.status()).isEqualTo(400);
			assertThat(unknown.json().at("/error/message").asString()).contains("batch_nope");
			assertThat(sim.counters().batchesCreated()).isEqualTo(22);
		}
	}

	private static List<String> ids(JsonNode list) {
		return list.get("data").valueStream().map(b -> b.get("id").asString()).toList();
	}

	/** The custom ids a simulator with this seed answers 500 in a batch of 400 lines, checking the lines as it goes. */
	private static Set<String> failedLines(long seed) throws Exception {
		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder()
			.batchDuration(Duration.ZERO)
			.batchRate500(0.25)
			.seed(seed)
			.build())) {
			BatchApiClient api = new BatchApiClient(sim);
			JsonNode batch = api.awaitEnd(api.batchOf(plainLines(400, "kimi-k2.5")));
			List<JsonNode> errors = api.fileLines(batch.get("error_file_id"));
			List<JsonNode> output = api.fileLines(batch.get("output_file_id"));
			String serverError = api.chat(chatBody("kimi-k2.5", "[[sim:status=500]]", "")).text();
			for (JsonNode error : errors) {
				assertThat(error.at("/response/status_code").asInt()).isEqualTo(500);
				assertThat(error.at("/response/body/error/code").asString()).isEqualTo("api_error");
				assertThat(error.at("/response/body/success").asBoolean(true)).isFalse();
			}
			assertThat(serverError).contains("\"success\":false");
			assertThat(batch.get("request_counts").get("failed").asInt()).isEqualTo(errors.size());
			assertThat(output.size() + errors.size()).isEqualTo(400);
			return new HashSet<>(customIds(errors));
		}
	}

	@Test
	void answersTheConfiguredShareOfLines500FromTheSeededDraws() throws Exception {
		Set<String> first = failedLines(7);
		Set<String> again = failedLines(7);
		Set<String> otherSeed = failedLines(8);

		assertThat(first.size()).isBetween(60, 140);
		assertThat(again).isEqualTo(first);
		assertThat(otherSeed).isNotEqualTo(first);
	}

	@Test
	void countsUploadsBatchesCancelsAndDownloadsAndClearsThem() throws Exception {
		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder().batchDuration(Duration.ofSeconds(30)).build())) {
			BatchApiClient api = new BatchApiClient(sim);
			String fileId = api.uploadLines(plainLines(3, "kimi-k2.5"));
			api.uploadLines(plainLines(2, "kimi-k2.5"));
			String batchId = api.createBatch(fileId, "24h").json().get("id").asString();
			api.createBatch("file-nope", "24h");
			api.post("/batches/" + batchId + "/cancel", "");
			api.get("/files/" + fileId + "/content");

			JsonNode counters = api.counters();

			assertThat(counters.get("files_uploaded").asInt()).isEqualTo(2);
			assertThat(counters.get("batches_created").asInt()).isEqualTo(1);
			assertThat(counters.get("batches_cancelled").asInt()).isEqualTo(1);
			assertThat(counters.get("file_downloads").asInt()).isEqualTo(1);
			assertThat(counters.get("requests").asInt()).isZero();

			// when: cleared
			HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + sim.port() + "/counters"))
				.POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());

			JsonNode cleared = api.counters();
			assertThat(List.of("files_uploaded", "batches_created", "batches_cancelled", "file_downloads"))
				.allSatisfy(name -> assertThat(cleared.get(name).asInt()).as(name).isZero());
		}
	}

	@Test
	void playsKimiWindowsLimitsAndItsRefusalOfFixedSamplingSettings() throws Exception {
		try (ChatSimulator kimi = ChatSimulator.start(SimulatorConfig.builder()
			.batchProvider(BatchProvider.KIMI)
			.batchDuration(Duration.ZERO)
			.batchMaxFiles(2)
			.build());
				ChatSimulator openai = ChatSimulator.start(SimulatorConfig.builder().build())) {
			BatchApiClient api = new BatchApiClient(kimi);
			String fileId = api.uploadLines(plainLines(2, "kimi-k2.6"));

			// completion windows: 12h to 7d for Kimi, 24h only for OpenAI
			JsonNode halfDay = api.createBatch(fileId, "12h").json();
			assertThat(halfDay.get("expires_at").asLong()).isEqualTo(halfDay.get("created_at").asLong() + 12 * 3600);
			assertThat(api.createBatch(fileId, "3d").status()).isEqualTo(200);
			assertThat(api.createBatch(fileId, "7d").status()).isEqualTo(200);
			Reply tooLong = api.createBatch(fileId, "8d");
			assertThat(tooLong.status()).isEqualTo(400);
			assertThat(tooLong.json().at("/error/message").asString()).contains("between 12h and 7d").contains("8d");
			assertThat(api.createBatch(fileId, "6h").status()).isEqualTo(400);
			BatchApiClient openaiApi = new BatchApiClient(openai);
			Reply openaiWindow = openaiApi.createBatch(openaiApi.uploadLines(plainLines(1, "gpt-4o-mini")), "12h");
			assertThat(openaiWindow.status()).isEqualTo(400);
			assertThat(openaiWindow.json().at("/error/message").asString()).contains("must be 24h");

			// K2.5 and K2.6 batch lines may not set temperature, top_p and the like; other models may
			JsonNode fixed = api.awaitEnd(api.createBatch(api.uploadLines(List.of(
					line("a", chatBody("kimi-k2.6", "x", "")),
					line("b", chatBody("kimi-k2.6", "y", ",\"temperature\":0.3")),
					line("c", chatBody("kimi-k2.6", "z", ",\"top_p\":0.5,\"n\":2")))), "24h").json().get("id").asString());
			assertThat(fixed.get("status").asString()).isEqualTo("failed");
			assertThat(fixed.at("/errors/data")).hasSize(2);
			assertThat(fixed.at("/errors/data/0/line").asInt()).isEqualTo(2);
			assertThat(fixed.at("/errors/data/0/code").asString()).isEqualTo("unsupported_parameter");
			assertThat(fixed.at("/errors/data/0/param").asString()).isEqualTo("body.temperature");
			assertThat(fixed.at("/errors/data/1/message").asString()).contains("kimi-k2.6").contains("top_p, n");
			// a third batch file is over this simulator's limit of two, until one is deleted
			Reply third = api.upload("part-3.jsonl", line("d", chatBody("kimi-k2-0905-preview", "w", ",\"temperature\":0.3")));
			assertThat(third.status()).isEqualTo(400);
			assertThat(third.json().at("/error/message").asString()).contains("At most 2 batch files");
			api.delete("/files/" + fileId);
			JsonNode otherModel = api.awaitEnd(api.batchOf(List.of(
					line("d", chatBody("kimi-k2-0905-preview", "w", ",\"temperature\":0.3")))));
			assertThat(otherModel.get("status").asString()).isEqualTo("completed");
			// OpenAI lets them be set
			JsonNode openaiBatch = openaiApi.awaitEnd(openaiApi.batchOf(List.of(
					line("e", chatBody("kimi-k2.6", "v", ",\"temperature\":0.3")))));
			assertThat(openaiBatch.get("status").asString()).isEqualTo("completed");
		}
	}

	@Test
	void answersAnUploadOnlyAfterTheDelayButStoresTheFileOnReceipt() throws Exception {
		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder().batchUploadDelay(Duration.ofMillis(800)).build())) {
			BatchApiClient api = new BatchApiClient(sim);
			long started = System.nanoTime();

			// when
			CompletableFuture<Reply> upload = CompletableFuture.supplyAsync(() -> {
				try {
					return api.upload("promptbatch-run-1-part-1.jsonl", line("a", chatBody("kimi-k2.5", "x", "")));
				}
				catch (Exception e) {
					throw new IllegalStateException(e);
				}
			});
			Thread.sleep(400);
			JsonNode listed = new BatchApiClient(sim).get("/files?purpose=batch").json();

			// then: stored (and listed by its name) before the upload is answered
			assertThat(upload).isNotDone();
			assertThat(listed.get("data").valueStream().map(f -> f.get("filename").asString()).toList())
				.containsExactly("promptbatch-run-1-part-1.jsonl");
			Reply reply = upload.get();
			assertThat(reply.status()).isEqualTo(200);
			assertThat((System.nanoTime() - started) / 1_000_000).isGreaterThanOrEqualTo(800);
			assertThat(reply.json().get("id").asString()).isEqualTo(listed.at("/data/0/id").asString());
		}
	}

	@Test
	void requiresTheKeyOnTheBatchEndpointsWhenConfigured() throws Exception {
		try (ChatSimulator sim = ChatSimulator.start(SimulatorConfig.builder().requiredKey("k1").build())) {
			HttpClient http = HttpClient.newHttpClient();

			HttpResponse<String> without = http.send(HttpRequest.newBuilder(URI.create(sim.baseUrl() + "/batches")).build(),
					HttpResponse.BodyHandlers.ofString());
			HttpResponse<String> with = http.send(HttpRequest.newBuilder(URI.create(sim.baseUrl() + "/batches"))
				.header("Authorization", "Bearer k1").build(), HttpResponse.BodyHandlers.ofString());

			assertThat(without.statusCode()).isEqualTo(401);
			assertThat(BatchApiClient.JSON.readTree(without.body()).at("/error/type").asString()).isEqualTo("authentication_error");
			assertThat(with.statusCode()).isEqualTo(200);
			assertThat(BatchApiClient.JSON.readTree(with.body()).get("data").isEmpty()).isTrue();
		}
	}
}
