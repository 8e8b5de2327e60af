package io.promptbatch.batch.fanout;

import io.promptbatch.batch.journal.ResponseJournal;
import io.promptbatch.batch.state.StateSchema;
import io.promptbatch.core.chat.ChatRequest;
import io.promptbatch.core.client.ChatResponse;
import io.promptbatch.core.client.RequestBody;
import io.promptbatch.core.chat.Usage;
import io.promptbatch.core.cost.PriceTable;
import io.promptbatch.core.chat.Message;
import io.promptbatch.core.prompt.Prompt;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.SimpleDriverDataSource;

/** Prompts, answers, prices and a journal on a real state database, for the fan-out parts' tests. */
final class Fixtures {

	/** A model priced at $1 per million prompt tokens and $2 per million completion tokens, with a 50-token window. */
	static final String TINY = "tiny";

	private Fixtures() {
	}

	static Prompt prompt(int n) {
		return prompt(n, Map.of());
	}

	static Prompt prompt(int n, Map<String, String> columns) {
		return new Prompt(n, n + 1, "r" + n, List.of(new Message("user", "question " + n)), null, columns);
	}

	static ChatResponse answer(String content, long completionTokens) {
		return new ChatResponse("id-" + content, TINY, content, null, "stop",
				new Usage(10, completionTokens, 10 + completionTokens, 0), null);
	}

	/** The bundled prices and the {@value #TINY} model, from a price file as a user gives it. */
	static PriceTable prices() {
		try {
			Path file = Files.createTempFile("prices", ".json");
			file.toFile().deleteOnExit();
			Files.writeString(file, "{\"models\":{\"" + TINY + "\":{\"input\":1.0,\"output\":2.0,"
					+ "\"context_tokens\":50}}}");
			return PriceTable.bundled().withOverrides(file);
		}
		catch (IOException e) {
			throw new java.io.UncheckedIOException(e);
		}
	}

	/** A halt whose stop signal has a grace time of one second. */
	static Halt halt() {
		return new Halt(new io.promptbatch.batch.StopSignal(java.time.Duration.ofSeconds(1)));
	}

	/** A journal on a new H2 state database in {@code dir}. */
	static ResponseJournal journal(Path dir) throws Exception {
		SimpleDriverDataSource dataSource = new SimpleDriverDataSource(new org.h2.Driver(),
				"jdbc:h2:file:" + dir.resolve("state") + ";DB_CLOSE_ON_EXIT=FALSE", "sa", "");
		new StateSchema(dataSource).afterPropertiesSet();
		JdbcTemplate jdbc = new JdbcTemplate(dataSource);
		return new ResponseJournal(jdbc, new DataSourceTransactionManager(dataSource), dir.resolve("answer-log"));
	}

	/** A row resolved to its request, as the {@link RowResolver} hands it to a dispatcher. */
	static RowResolver.Resolved resolved(int n) {
		Prompt prompt = prompt(n);
		ChatRequest request = new RequestFactory(TINY, 100, null).requestFor(prompt);
		byte[] body = RequestBody.of(request);
		return new RowResolver.Resolved(prompt, request, body, RequestBody.fingerprint("http://127.0.0.1/v1", body),
				null);
	}

	/** Takes {@code rows} rows on a thread of its own, as the read-ahead does. */
	static CompletableFuture<Void> feed(Dispatcher dispatcher, int rows) {
		return CompletableFuture.runAsync(() -> {
			try {
				for (int n = 0; n < rows; n++) {
					if (!dispatcher.room() || !dispatcher.send(resolved(n))) {
						break;
					}
				}
				dispatcher.end(null);
			}
			catch (InterruptedException e) {
				Thread.currentThread().interrupt();
			}
		});
	}

	/** Every row the dispatcher hands out, in its order, until the end. */
	static List<AnswerRow> drain(Dispatcher dispatcher) throws InterruptedException {
		List<AnswerRow> rows = new ArrayList<>();
		while (dispatcher.awaitNext(5, TimeUnit.SECONDS)) {
			AnswerRow row = dispatcher.next();
			if (row == null) {
				return rows;
			}
			rows.add(row);
		}
		throw new AssertionError("no end after " + rows.size() + " rows");
	}

	static List<String> ids(List<AnswerRow> rows) {
		return rows.stream().map(r -> r.prompt().id()).toList();
	}
}
