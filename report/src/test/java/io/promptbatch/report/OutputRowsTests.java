package io.promptbatch.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OutputRowsTests {

	@TempDir
	Path dir;

	static List<ResultRow> read(Path file, boolean batch) throws Exception {
		List<ResultRow> rows = new ArrayList<>();
		try (OutputRows r = OutputRows.open(file, batch)) {
			r.forEachRemaining(rows::add);
		}
		return rows;
	}

	@Test
	void readsCsvOutputWithScoreCachedAndCarriedColumns() throws Exception {
		Path csv = dir.resolve("out.csv");
		Files.writeString(csv, "id,status,model,answer,reasoning,finish_reason,prompt_tokens,completion_tokens,"
				+ "total_tokens,cost_usd,latency_ms,attempts,error,cached,score,topic\n"
				+ "a,ok,m,\"Hello, \"\"world\"\"\",,stop,10,5,15,0.0012,250,1,,false,1,x\n"
				+ "b,failed,m,,,,,,,,900,7,HTTP 429 too_many_requests: slow down (request t1),false,,y\n");

		List<ResultRow> rows = read(csv, false);

		assertThat(rows).hasSize(2);
		assertThat(rows.get(0).answer()).isEqualTo("Hello, \"world\"");
		assertThat(rows.get(0).cost()).isEqualByComparingTo(new BigDecimal("0.0012"));
		assertThat(rows.get(0).score()).isEqualTo(1);
		assertThat(rows.get(1).ok()).isFalse();
		assertThat(rows.get(1).errorGroup()).isEqualTo("HTTP 429 too_many_requests");
		assertThat(rows.get(1).score()).isNull();
	}

	@Test
	void readsOpenAiBatchOutputLines() throws Exception {
		Path file = dir.resolve("batch.jsonl");
		Files.writeString(file, """
				{"id":"batch_req_1","custom_id":"t1","response":{"status_code":200,"request_id":"c1","body":{"model":"m","choices":[{"message":{"content":"Hi","reasoning_content":"hm"}}],"usage":{"prompt_tokens":3,"completion_tokens":1}}},"error":null}
				{"id":"batch_req_2","custom_id":"t2","response":{"status_code":400,"request_id":"r2","body":{"error":{"message":"bad","code":"invalid_request"}}},"error":null}
				{"id":"batch_req_3","custom_id":"t3","response":null,"error":{"code":"timeout","message":"no answer"}}
				{"id":"batch_req_4","custom_id":"t4","response":{"status_code":400,"body":{"error":{"code":400,"message":"request (6028 tokens) exceeds the available context size","type":"exceed_context_size_error"}}},"error":null}
				""");

		List<ResultRow> rows = read(file, true);

		assertThat(rows.get(0).ok()).isTrue();
		assertThat(rows.get(0).answer()).isEqualTo("Hi");
		assertThat(rows.get(0).reasoning()).isEqualTo("hm");
		assertThat(rows.get(0).promptTokens()).isEqualTo(3);
		assertThat(rows.get(1).errorGroup()).isEqualTo("HTTP 400 invalid_request");
		assertThat(rows.get(1).error()).contains("bad");
		assertThat(rows.get(2).errorGroup()).isEqualTo("timeout");
		// llama.cpp repeats the status as a numeric code: the error is named by its type
		assertThat(rows.get(3).errorGroup()).isEqualTo("HTTP 400 exceed_context_size_error");
		assertThat(rows.get(3).error()).startsWith("HTTP 400 exceed_context_size_error: request (6028 tokens)");
	}

	@Test
	void groupsErrorsByStatusAndCodeOrTheirFirstWords() {
		assertThat(OutputRows.groupOf("HTTP 500 api_error: Internal server error (request abc)"))
			.isEqualTo("HTTP 500 api_error");
		assertThat(OutputRows.groupOf("HTTP 502: <html>Bad gateway</html>")).isEqualTo("HTTP 502");
		assertThat(OutputRows.groupOf("not_cached: no answer in the cache")).isEqualTo("not_cached");
	}
}
