package io.promptbatch.core.client.batchapi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.promptbatch.core.client.FatalChatException;
import io.promptbatch.core.client.NonRetriableChatException;
import io.promptbatch.core.client.ScriptedServer;
import io.promptbatch.core.client.ScriptedServer.Reply;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Batch API client against a real server on 127.0.0.1 that answers from a script and records what it saw. */
class BatchApiClientIntegrationTests {

	static final String FILE = "{\"id\":\"file-1\",\"object\":\"file\",\"bytes\":42,\"created_at\":1700000000,"
			+ "\"filename\":\"promptbatch-run-7-part-2.jsonl\",\"purpose\":\"batch\"}";

	static final String FILES = "{\"object\":\"list\",\"data\":[{\"id\":\"file-0\",\"object\":\"file\",\"bytes\":1,"
			+ "\"created_at\":1,\"filename\":\"other.jsonl\",\"purpose\":\"batch\"}," + FILE + "]}";

	static String batch(String id, String status, String run, String part) {
		return "{\"id\":\"" + id + "\",\"object\":\"batch\",\"endpoint\":\"/v1/chat/completions\",\"errors\":null,"
				+ "\"input_file_id\":\"file-1\",\"completion_window\":\"24h\",\"status\":\"" + status + "\","
				+ "\"output_file_id\":null,\"error_file_id\":null,\"created_at\":1700000000,\"in_progress_at\":null,"
				+ "\"expires_at\":1700086400,\"request_counts\":{\"total\":3,\"completed\":1,\"failed\":0},"
				+ "\"metadata\":{\"promptbatch_run\":\"" + run + "\",\"promptbatch_part\":\"" + part + "\"}}";
	}

	static BatchApiClient client(ScriptedServer server) {
		return BatchApiClient.builder()
			.baseUrl(server.baseUrl())
			.apiKey("sk-test")
			.timeout(Duration.ofSeconds(5))
			.maxRetries(3)
			.backoff(Duration.ofMillis(1), Duration.ofMillis(5))
			.build();
	}

	@Test
	void uploadSendsTheFileAsMultipartWithPurposeBatchAndItsName(@TempDir Path dir) throws Exception {
		// given
		Path lines = Files.writeString(dir.resolve("part.jsonl"), "{\"custom_id\":\"r1\"}\n");
		try (ScriptedServer server = new ScriptedServer(Reply.of(200, FILE))) {
			// when
			BatchFile file = client(server).upload(lines, "promptbatch-run-7-part-2.jsonl");
			// then
			assertThat(file).isEqualTo(new BatchFile("file-1", 42, 1700000000, "promptbatch-run-7-part-2.jsonl", "batch"));
			assertThat(server.paths).containsExactly("POST /v1/files");
			assertThat(server.bodies.get(0)).contains("name=\"purpose\"\r\n\r\nbatch\r\n")
				.contains("name=\"file\"; filename=\"promptbatch-run-7-part-2.jsonl\"")
				.contains("{\"custom_id\":\"r1\"}\n");
			assertThat(server.authorizations).containsExactly("Bearer sk-test");
		}
	}

	@Test
	void uploadWhoseAnswerWasLostFindsTheFileByNameInsteadOfUploadingAgain(@TempDir Path dir) throws Exception {
		// given: the upload's connection is cut after the server took it; the file is listed
		Path lines = Files.writeString(dir.resolve("part.jsonl"), "{}\n");
		try (ScriptedServer server = new ScriptedServer(Reply.cut(), Reply.of(200, FILES))) {
			// when
			BatchFile file = client(server).upload(lines, "promptbatch-run-7-part-2.jsonl");
			// then
			assertThat(file.id()).isEqualTo("file-1");
			assertThat(server.paths).containsExactly("POST /v1/files", "GET /v1/files?purpose=batch");
		}
	}

	@Test
	void uploadRefusedByAnOverloadedServerIsTriedAgainWhenNoFileOfItsNameExists(@TempDir Path dir) throws Exception {
		// given
		Path lines = Files.writeString(dir.resolve("part.jsonl"), "{}\n");
		try (ScriptedServer server = new ScriptedServer(Reply.of(503, "{\"error\":{\"message\":\"overloaded\"}}"),
				Reply.of(200, "{\"object\":\"list\",\"data\":[]}"), Reply.of(200, FILE))) {
			// when
			BatchFile file = client(server).upload(lines, "promptbatch-run-7-part-2.jsonl");
			// then
			assertThat(file.id()).isEqualTo("file-1");
			assertThat(server.paths).containsExactly("POST /v1/files", "GET /v1/files?purpose=batch", "POST /v1/files");
		}
	}

	@Test
	void createWhoseAnswerWasLostFindsTheBatchByItsMetadataOnALaterPage() throws Exception {
		// given: the create's connection is cut; the batch is on the second page of the list
		String page1 = "{\"object\":\"list\",\"data\":[" + batch("batch_9", "completed", "other", "1") + "],"
				+ "\"first_id\":\"batch_9\",\"last_id\":\"batch_9\",\"has_more\":true}";
		String page2 = "{\"object\":\"list\",\"data\":[" + batch("batch_5", "validating", "run-7", "2") + "],"
				+ "\"first_id\":\"batch_5\",\"last_id\":\"batch_5\",\"has_more\":false}";
		try (ScriptedServer server = new ScriptedServer(Reply.cut(), Reply.of(200, page1), Reply.of(200, page2))) {
			// when
			Batch batch = client(server).create("file-1", "24h",
					Map.of("promptbatch_run", "run-7", "promptbatch_part", "2"));
			// then
			assertThat(batch.id()).isEqualTo("batch_5");
			assertThat(server.paths).containsExactly("POST /v1/batches", "GET /v1/batches?limit=100",
					"GET /v1/batches?limit=100&after=batch_9");
			assertThat(server.bodies.get(0)).contains("\"input_file_id\":\"file-1\"")
				.contains("\"endpoint\":\"/v1/chat/completions\"")
				.contains("\"completion_window\":\"24h\"")
				.contains("\"promptbatch_run\":\"run-7\"");
		}
	}

	@Test
	void getReadsTheBatchObjectWithItsCountsAndValidationErrors() throws Exception {
		// given
		String failed = "{\"id\":\"batch_1\",\"object\":\"batch\",\"status\":\"failed\",\"errors\":{\"object\":\"list\","
				+ "\"data\":[{\"code\":\"invalid_json_line\",\"message\":\"not JSON\",\"param\":null,\"line\":3}]},"
				+ "\"request_counts\":{\"total\":4,\"completed\":0,\"failed\":0},\"failed_at\":1700000001,"
				+ "\"some_new_field\":true}";
		try (ScriptedServer server = new ScriptedServer(Reply.of(200, failed))) {
			// when
			Batch batch = client(server).get("batch_1");
			// then
			assertThat(batch.done()).isTrue();
			assertThat(batch.failedAt()).isEqualTo(1700000001L);
			assertThat(batch.requestCounts()).isEqualTo(new Batch.RequestCounts(4, 0, 0));
			assertThat(batch.lineErrors()).containsExactly(new Batch.LineError("invalid_json_line", "not JSON", null, 3L));
			assertThat(server.paths).containsExactly("GET /v1/batches/batch_1");
		}
	}

	@Test
	void readsAreRetriedAfterServerErrorsAndARejectedKeyIsNot() throws Exception {
		try (ScriptedServer server = new ScriptedServer(Reply.of(500, "{\"error\":{\"message\":\"boom\"}}"),
				Reply.of(200, batch("batch_1", "in_progress", "r", "1")))) {
			assertThat(client(server).get("batch_1").status()).isEqualTo("in_progress");
			assertThat(server.requests()).isEqualTo(2);
		}
		try (ScriptedServer server = new ScriptedServer(Reply.of(401, "{\"error\":{\"message\":\"bad key\"}}"))) {
			assertThatThrownBy(() -> client(server).list(null, 20)).isInstanceOf(FatalChatException.class)
				.hasMessageContaining("the API key was rejected")
				.hasMessageNotContaining("sk-test");
			assertThat(server.requests()).isEqualTo(1);
		}
	}

	@Test
	void cancelPostsToTheBatchsCancelPath() throws Exception {
		try (ScriptedServer server = new ScriptedServer(Reply.of(200, batch("batch_1", "cancelling", "r", "1")))) {
			assertThat(client(server).cancel("batch_1").status()).isEqualTo("cancelling");
			assertThat(server.paths).containsExactly("POST /v1/batches/batch_1/cancel");
		}
	}

	@Test
	void downloadWritesTheContentToDiskAndAMissingFileIsTheCallersError(@TempDir Path dir) throws Exception {
		// given
		String content = "{\"custom_id\":\"r2\"}\n{\"custom_id\":\"r1\"}\n";
		Path target = Files.writeString(dir.resolve("out.jsonl"), "an older, longer download that must go away\n".repeat(5));
		try (ScriptedServer server = new ScriptedServer(Reply.of(200, content),
				Reply.of(404, "{\"error\":{\"message\":\"No such file\",\"type\":\"invalid_request_error\"}}"))) {
			// when
			client(server).download("file-9", target);
			// then
			assertThat(Files.readString(target, StandardCharsets.UTF_8)).isEqualTo(content);
			assertThat(server.paths).containsExactly("GET /v1/files/file-9/content");
			assertThatThrownBy(() -> client(server).download("file-8", dir.resolve("x")))
				.isInstanceOf(NonRetriableChatException.class)
				.hasMessageContaining("No such file");
		}
	}
}
