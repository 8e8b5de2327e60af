package io.promptbatch.batch.batchapi;

import io.promptbatch.batch.PromptBatchApplication;
import io.promptbatch.batch.fanout.RequestFactory;
import io.promptbatch.batch.fanout.RowResolver;
import io.promptbatch.batch.state.StateSchema;
import io.promptbatch.core.chat.ChatRequest;
import io.promptbatch.core.chat.Message;
import io.promptbatch.core.client.RequestBody;
import io.promptbatch.core.prompt.Prompt;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.SimpleDriverDataSource;

/** A ledger on a state database of its own (an H2 file under a test's directory), and rows to plan. */
final class Ledgers {

	final JdbcTemplate jdbc;
	final DataSourceTransactionManager transactions;
	final BatchLedger ledger;

	Ledgers(Path dir) throws Exception {
		SimpleDriverDataSource dataSource = new SimpleDriverDataSource(new org.h2.Driver(),
				PromptBatchApplication.h2Url(dir), "sa", "");
		new StateSchema(dataSource).afterPropertiesSet();
		jdbc = new JdbcTemplate(dataSource);
		transactions = new DataSourceTransactionManager(dataSource);
		ledger = new BatchLedger(jdbc, transactions);
	}

	/** Record {@code n} (line {@code n + 1} of a CSV) asking {@code model}, resolved as a live run would. */
	static RowResolver.Resolved row(long n, String model, Map<String, tools.jackson.databind.JsonNode> params) {
		Prompt prompt = new Prompt(n, n + 1, "p" + n, List.of(new Message("user", "Prompt " + n)), model, Map.of());
		ChatRequest request = new RequestFactory(model, true, null, null, params, "http://127.0.0.1:9/v1", null)
			.requestFor(prompt);
		byte[] body = RequestBody.of(request);
		return new RowResolver.Resolved(prompt, request, body, RequestBody.fingerprint("http://127.0.0.1:9/v1", body),
				null);
	}

	static RowResolver.Resolved row(long n, String model) {
		return row(n, model, Map.of());
	}
}
