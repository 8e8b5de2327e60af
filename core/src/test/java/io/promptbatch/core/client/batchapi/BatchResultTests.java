package io.promptbatch.core.client.batchapi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.promptbatch.core.client.NonRetriableChatException;
import io.promptbatch.core.client.RetriableChatException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BatchResultTests {

	@Test
	void anAnsweredLineGivesTheChatCompletionWithItsUsageAndWholeBody() {
		BatchResult r = BatchResult.parse("{\"id\":\"batch_req_1\",\"custom_id\":\"r3\",\"response\":{\"status_code\":200,"
				+ "\"request_id\":\"q\",\"body\":{\"id\":\"c1\",\"model\":\"kimi-k2.5\",\"choices\":[{\"index\":0,"
				+ "\"message\":{\"role\":\"assistant\",\"content\":\"Hi\"},\"finish_reason\":\"stop\"}],"
				+ "\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":1,\"total_tokens\":6}}},\"error\":null}");
		assertThat(r.customId()).isEqualTo("r3");
		assertThat(r.error()).isNull();
		assertThat(r.response().content()).isEqualTo("Hi");
		assertThat(r.response().usage().totalTokens()).isEqualTo(6);
		assertThat(r.response().body()).contains("\"id\":\"c1\"");
	}

	@Test
	void aRefusedLineIsTheRowsOwnErrorAndAFailedOrUnrunLineIsRetriable() {
		BatchResult refused = BatchResult.parse("{\"custom_id\":\"r1\",\"response\":{\"status_code\":400,\"body\":"
				+ "{\"error\":{\"message\":\"content filtered\",\"type\":\"invalid_request_error\",\"code\":\"content_filter\"}}}}");
		BatchResult failed = BatchResult.parse("{\"custom_id\":\"r2\",\"response\":{\"status_code\":500,\"body\":"
				+ "{\"error\":{\"message\":\"internal\",\"type\":\"server_error\"}}}}");
		BatchResult expired = BatchResult.parse("{\"custom_id\":\"r3\",\"response\":null,\"error\":{\"code\":\"batch_expired\","
				+ "\"message\":\"not run before the window ended\"}}");
		assertThat(refused.error()).isInstanceOf(NonRetriableChatException.class);
		assertThat(refused.error().reason()).isEqualTo("content_filter");
		assertThat(failed.error()).isInstanceOf(RetriableChatException.class);
		assertThat(failed.error().status()).isEqualTo(500);
		assertThat(expired.error()).isInstanceOf(RetriableChatException.class);
		assertThat(expired.error().code()).isEqualTo("batch_expired");
	}

	@Test
	void aFileIsReadLineByLineAndABadLineIsNamedByFileAndLine(@TempDir Path dir) throws Exception {
		Path file = Files.writeString(dir.resolve("errors.jsonl"), "{\"custom_id\":\"r1\",\"error\":{\"code\":\"batch_cancelled\","
				+ "\"message\":\"m\"}}\n\n{\"custom_id\":\"r2\",\"error\":{\"code\":\"batch_expired\",\"message\":\"m\"}}\nnot json\n");
		List<String> seen = new ArrayList<>();
		assertThatThrownBy(() -> BatchResult.read(file, r -> seen.add(r.customId())))
			.hasMessageContaining(file + ":4: not a batch result line");
		assertThat(seen).containsExactly("r1", "r2");
	}
}
