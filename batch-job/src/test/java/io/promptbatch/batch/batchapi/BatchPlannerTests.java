package io.promptbatch.batch.batchapi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.promptbatch.batch.fanout.RowResolver;
import io.promptbatch.core.prompt.InputException;
import io.promptbatch.core.provider.BatchLimits;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;

class BatchPlannerTests {

	private static final Path INPUT = Path.of("prompts.csv");

	@TempDir
	Path dir;

	private List<String> customIds(BatchLedger ledger, int part) {
		List<String> ids = new ArrayList<>();
		ledger.lines(1, part, l -> ids.add(l.customId()));
		return ids;
	}

	@Test
	void onePartPerModelAndANewPartWhenTheLineLimitIsReached() throws Exception {
		// given: five rows of one model, two of another, at most three lines a file
		Ledgers l = new Ledgers(dir);
		List<RowResolver.Resolved> rows = List.of(Ledgers.row(1, "kimi-k2.5"), Ledgers.row(2, "gpt-4o-mini"),
				Ledgers.row(3, "kimi-k2.5"), Ledgers.row(4, "kimi-k2.5"), Ledgers.row(5, "kimi-k2.5"),
				Ledgers.row(6, "gpt-4o-mini"), Ledgers.row(7, "kimi-k2.5"));
		// when
		int parts = new BatchPlanner(l.ledger, BatchLimits.OPENAI.override(0, 3), INPUT).plan(1, "tag", rows);
		// then
		assertThat(parts).isEqualTo(3);
		assertThat(l.ledger.parts(1)).extracting(BatchLedger.Part::model, BatchLedger.Part::lines)
			.containsExactly(org.assertj.core.groups.Tuple.tuple("kimi-k2.5", 3L),
					org.assertj.core.groups.Tuple.tuple("gpt-4o-mini", 2L),
					org.assertj.core.groups.Tuple.tuple("kimi-k2.5", 2L));
		assertThat(customIds(l.ledger, 1)).containsExactly("r1", "r3", "r4");
		assertThat(customIds(l.ledger, 2)).containsExactly("r2", "r6");
		assertThat(customIds(l.ledger, 3)).containsExactly("r5", "r7");
		assertThat(l.ledger.tag(1)).contains("tag");
		assertThat(l.ledger.parts(1)).allMatch(p -> p.step() == BatchLedger.Step.PLANNED);
	}

	@Test
	void aPartIsClosedBeforeItWouldPassTheByteLimitAndLinesKeepTheLiveRequestBody() throws Exception {
		Ledgers l = new Ledgers(dir);
		RowResolver.Resolved one = Ledgers.row(1, "kimi-k2.5");
		long lineBytes = BatchPlanner.batchLine("r1", new String(one.body())).length() + 1;
		int parts = new BatchPlanner(l.ledger, BatchLimits.OPENAI.override(2 * lineBytes + 1, 0), INPUT).plan(1, "tag",
				List.of(one, Ledgers.row(2, "kimi-k2.5"), Ledgers.row(3, "kimi-k2.5")));
		assertThat(parts).isEqualTo(2);
		List<BatchLedger.Line> lines = new ArrayList<>();
		l.ledger.lines(1, 1, lines::add);
		assertThat(lines.get(0).body()).isEqualTo(new String(one.body()));
		assertThat(lines.get(0).fingerprint()).isEqualTo(one.fingerprint());
		assertThat(lines.get(0).lineNo()).isEqualTo(2);
	}

	@Test
	void aSettingTheModelFixesInBatchesRefusesTheInputByLineAndRecordsNothing() throws Exception {
		Ledgers l = new Ledgers(dir);
		var json = JsonMapper.builder().build();
		List<RowResolver.Resolved> rows = List.of(Ledgers.row(1, "gpt-4o-mini", Map.of("top_p", json.readTree("0.5"))),
				Ledgers.row(2, "kimi-k2.5", Map.of("top_p", json.readTree("0.5"))), Ledgers.row(3, "kimi-k2.5"),
				Ledgers.row(4, "kimi-k2.5", Map.of("presence_penalty", json.readTree("0.2"))));
		assertThatThrownBy(() -> new BatchPlanner(l.ledger, BatchLimits.MOONSHOT, INPUT).plan(1, "tag", rows))
			.isInstanceOf(InputException.class)
			.hasMessageStartingWith("prompts.csv:3: kimi-k2.5 does not let batch requests set top_p")
			.hasMessageContaining("line 5: kimi-k2.5 does not let batch requests set presence_penalty")
			.hasMessageContaining("Nothing was uploaded");
		assertThat(l.ledger.tag(1)).isEmpty();
	}

	@Test
	void aRequestLargerThanAWholeFileIsRefusedByLine() throws Exception {
		Ledgers l = new Ledgers(dir);
		assertThatThrownBy(() -> new BatchPlanner(l.ledger, BatchLimits.OPENAI.override(50, 0), INPUT).plan(1, "tag",
				List.of(Ledgers.row(1, "gpt-4o-mini"))))
			.isInstanceOf(InputException.class)
			.hasMessageContaining("prompts.csv:2: the request is")
			.hasMessageContaining("more than a whole batch file may hold (50 bytes at OpenAI)");
		assertThat(l.ledger.parts(1)).isEmpty();
	}

	@Test
	void moreFilesThanMoonshotStoresForAnOrganisationAreRefusedByLineAndNothingIsRecorded() throws Exception {
		// given: one line a file, so that each record is a batch file of its own
		Ledgers l = new Ledgers(dir);
		BatchPlanner planner = new BatchPlanner(l.ledger, BatchLimits.MOONSHOT.override(0, 1), INPUT);
		List<RowResolver.Resolved> rows = new ArrayList<>();
		for (int i = 1; i <= 1001; i++) {
			rows.add(Ledgers.row(i, "kimi-k2.5"));
		}
		// when, then: 1,001 files, refused at the record of the 1,001st (line 1002 of the CSV)
		assertThatThrownBy(() -> planner.plan(1, "tag", rows))
			.isInstanceOf(InputException.class)
			.hasMessageStartingWith("prompts.csv:1002: the run needs 1001 batch files, more than the 1000 Moonshot "
					+ "stores for an organisation")
			.hasMessageContaining("how many there are is not known here")
			.hasMessageContaining("Nothing was uploaded");
		assertThat(l.ledger.tag(1)).isEmpty();
		assertThat(l.ledger.parts(1)).isEmpty();
		// and: 1,000 files are planned
		assertThat(planner.plan(2, "tag", rows.subList(0, 1000))).isEqualTo(1000);
	}

	@Test
	void rowsAreReadOnceAndAProblemFoundAfterLinesWereWrittenRecordsNothing() throws Exception {
		// given: 1,200 rows, more than the planner writes at a time, and a setting kimi-k2.5 fixes on the 1,100th
		Ledgers l = new Ledgers(dir);
		var json = JsonMapper.builder().build();
		List<RowResolver.Resolved> rows = new ArrayList<>();
		for (int i = 1; i <= 1200; i++) {
			rows.add(i == 1100 ? Ledgers.row(i, "kimi-k2.5", Map.of("top_p", json.readTree("0.5")))
					: Ledgers.row(i, "kimi-k2.5"));
		}
		int[] reads = { 0 };
		Iterable<RowResolver.Resolved> counted = () -> {
			reads[0]++;
			return rows.iterator();
		};
		// when, then
		assertThatThrownBy(() -> new BatchPlanner(l.ledger, BatchLimits.MOONSHOT, INPUT).plan(1, "tag", counted))
			.isInstanceOf(InputException.class)
			.hasMessageStartingWith("prompts.csv:1101: kimi-k2.5 does not let batch requests set top_p");
		assertThat(reads[0]).isEqualTo(1);
		assertThat(l.jdbc.queryForObject("SELECT COUNT(*) FROM PB_BATCH_LINE", Long.class)).isZero();
		assertThat(l.ledger.parts(1)).isEmpty();
		// and: without the problem the same rows are planned, read once
		rows.set(1099, Ledgers.row(1100, "kimi-k2.5"));
		assertThat(new BatchPlanner(l.ledger, BatchLimits.MOONSHOT, INPUT).plan(1, "tag", counted)).isEqualTo(1);
		assertThat(reads[0]).isEqualTo(2);
		assertThat(l.ledger.count(1, null)).isEqualTo(1200);
	}

	@Test
	void aLinesSizeIsItsBytesInTheFileWithTextOutsideAscii() throws Exception {
		// given: prompts in Chinese (three bytes a character in UTF-8), a file limit of exactly two lines
		Ledgers l = new Ledgers(dir);
		List<RowResolver.Resolved> rows = List.of(chinese(1), chinese(2), chinese(3));
		long first = fileBytes(rows.get(0));
		long two = first + fileBytes(rows.get(1));
		assertThat(BatchPlanner.lineSize("r1", rows.get(0).body().length)).isEqualTo(first);
		// when: two lines fit exactly, then one byte less
		int exact = new BatchPlanner(l.ledger, BatchLimits.OPENAI.override(two, 0), INPUT).plan(1, "tag", rows);
		int less = new BatchPlanner(l.ledger, BatchLimits.OPENAI.override(two - 1, 0), INPUT).plan(2, "tag", rows);
		// then
		assertThat(exact).isEqualTo(2);
		assertThat(customIds(l.ledger, 1)).containsExactly("r1", "r2");
		assertThat(less).isEqualTo(3);
	}

	/** A record in Chinese, resolved as a live run would. */
	private static RowResolver.Resolved chinese(long n) {
		io.promptbatch.core.prompt.Prompt prompt = new io.promptbatch.core.prompt.Prompt(n, n + 1, "p" + n,
				List.of(new io.promptbatch.core.chat.Message("user", "请用一句话解释第" + n + "个问题")), "kimi-k2.5", Map.of());
		io.promptbatch.core.chat.ChatRequest request = new io.promptbatch.batch.fanout.RequestFactory("kimi-k2.5", true,
				null, null, Map.of(), "http://127.0.0.1:9/v1", null).requestFor(prompt);
		byte[] body = io.promptbatch.core.client.RequestBody.of(request);
		return new RowResolver.Resolved(prompt, request, body,
				io.promptbatch.core.client.RequestBody.fingerprint("http://127.0.0.1:9/v1", body), null);
	}

	/** The bytes of a row's line in a batch file, newline included, as the file is written. */
	private static long fileBytes(RowResolver.Resolved row) {
		return BatchPlanner.batchLine(BatchPlanner.customId(row.prompt().recordNumber()),
				new String(row.body(), java.nio.charset.StandardCharsets.UTF_8))
			.getBytes(java.nio.charset.StandardCharsets.UTF_8).length + 1;
	}

	@Test
	void aFollowUpMovesTheUnansweredLinesIntoNewPartsOfTheNextRound() throws Exception {
		Ledgers l = new Ledgers(dir);
		BatchPlanner planner = new BatchPlanner(l.ledger, BatchLimits.OPENAI, INPUT);
		planner.plan(1, "tag", List.of(Ledgers.row(1, "kimi-k2.5"), Ledgers.row(2, "kimi-k2.5"),
				Ledgers.row(3, "kimi-k2.5")));
		List<BatchLedger.Line> lines = new ArrayList<>();
		l.ledger.lines(1, 1, lines::add);
		// when
		int parts = planner.followUp(1, "tag", 1, 2, List.of(lines.get(0), lines.get(2)));
		// then
		assertThat(parts).isEqualTo(1);
		BatchLedger.Part followUp = l.ledger.part(1, 2);
		assertThat(followUp.round()).isEqualTo(1);
		assertThat(followUp.model()).isEqualTo("kimi-k2.5");
		assertThat(customIds(l.ledger, 2)).containsExactly("r1", "r3");
		assertThat(customIds(l.ledger, 1)).containsExactly("r2");
	}
}
