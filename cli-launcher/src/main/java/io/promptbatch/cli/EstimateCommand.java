package io.promptbatch.cli;

import io.promptbatch.batch.Endpoints;
import io.promptbatch.core.cost.CostEstimate.CompletionGuess;
import io.promptbatch.core.cost.CostEstimate;
import io.promptbatch.core.cost.PriceTable;
import io.promptbatch.core.cost.TokenEstimator;
import io.promptbatch.core.prompt.InputScan;
import io.promptbatch.core.prompt.PromptOptions;
import io.promptbatch.core.prompt.PromptReader;
import io.promptbatch.core.provider.Provider;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/** {@code promptbatch estimate}: what a file will cost, without calling any API. */
@Command(name = "estimate", mixinStandardHelpOptions = true, sortOptions = false,
		description = { "Estimates tokens and cost of a prompt file per model, with no API call. Prompts are rendered",
				"as 'run' would and counted with an OpenAI tokenizer (an approximation of the provider's); completion",
				"tokens come from --max-tokens, else from earlier runs of the model in the state directory, else a",
				"stated default." },
		footer = { "", "Examples:", "  promptbatch estimate --input sample-data/prompts.csv --model kimi-k2.5",
				"  promptbatch estimate --input prompts.jsonl --max-tokens 500 --json" })
final class EstimateCommand implements Callable<Integer> {

	static final long DEFAULT_COMPLETION_TOKENS = 300;

	private static final JsonMapper JSON = JsonMapper.builder().build();

	@Spec
	CommandSpec spec;

	@Mixin
	StateOptions state;

	@Mixin
	PromptFileOptions prompts;

	@Option(names = "--json", description = "Print the estimate as JSON.")
	boolean json;

	@Option(names = "--exact", description = "Count prompt tokens with the provider's own endpoint (Moonshot's /tokenizers/estimate-token-count): one small free request per row.")
	boolean exact;

	@Option(names = "--provider", paramLabel = "NAME", description = "With --exact: the provider to ask (default: moonshot).")
	@Nullable String provider;

	@Option(names = "--base-url", paramLabel = "URL", description = "With --exact: its base URL, overriding the provider's.")
	@Nullable String baseUrl;

	@picocli.CommandLine.ParentCommand
	PromptbatchCommand parent;

	@Override
	public Integer call() throws Exception {
		PrintWriter out = spec.commandLine().getOut();
		String runModel = prompts.model != null ? prompts.model : Provider.ACEDATA_KIMI.defaultModel();
		PromptOptions options = prompts.promptOptions(false);
		InputScan.of(prompts.input, options);
		PriceTable prices = prompts.pricesFile == null ? PriceTable.bundled()
				: PriceTable.bundled().withOverrides(prompts.pricesFile);
		Map<String, Optional<double[]>> history = new HashMap<>();
		TokenEstimator tokens = new TokenEstimator();
		List<CostEstimate> estimates;
		if (exact) {
			estimates = countWithProvider(runModel, options, new CostEstimate.Tally(m -> guess(m, history)), prices);
		}
		else {
			try (PromptReader reader = PromptReader.open(prompts.input, options)) {
				estimates = CostEstimate.of(reader, p -> p.modelFor(runModel, prompts.model != null), tokens, m -> guess(m, history), prices);
			}
		}
		if (json) {
			printJson(out, estimates, prices, tokens);
		}
		else {
			printTable(out, estimates, prices, tokens);
		}
		out.flush();
		return 0;
	}

	/** The estimate with prompt tokens counted by the provider, 16 requests at a time. */
	private List<CostEstimate> countWithProvider(String runModel, PromptOptions options, CostEstimate.Tally tally,
			PriceTable prices) throws Exception {
		Provider chosen = provider != null ? Provider.of(provider) : Provider.MOONSHOT;
		String url = baseUrl != null ? baseUrl : chosen.baseUrl();
		if (url == null) {
			throw new PromptbatchCommand.UsageException("--exact needs a provider with a token-count endpoint "
					+ "(moonshot) or --base-url");
		}
		Map<String, String> env = parent.environment();
		String key = chosen.apiKey(env);
		if (key == null && baseUrl == null && chosen.keyVariable() != null) {
			throw new PromptbatchCommand.UsageException("--exact: no API key for " + chosen.id() + ": set "
					+ chosen.keyVariable() + " (or " + Provider.GENERIC_KEY_VARIABLE + ")");
		}
		java.util.concurrent.Semaphore window = new java.util.concurrent.Semaphore(16);
		List<java.util.concurrent.CompletableFuture<?>> pending = new java.util.ArrayList<>();
		try (io.promptbatch.core.client.ChatClient client = io.promptbatch.core.client.ChatClient.builder()
			.baseUrl(url)
			.apiKey(key)
			.keyHint(chosen.keyHint(env))
			.build(); PromptReader reader = PromptReader.open(prompts.input, options)) {
			io.promptbatch.core.prompt.Prompt p;
			while ((p = reader.read()) != null) {
				String m = p.modelFor(runModel, prompts.model != null);
				tally.add(m, p.settings().maxTokens());
				window.acquire();
				pending.add(client.countTokens(new io.promptbatch.core.chat.ChatRequest(m, p.messages(), null, null))
					.whenComplete((n, e) -> {
						window.release();
						if (n != null) {
							tally.addPromptTokens(m, n);
						}
					}));
			}
			java.util.concurrent.CompletableFuture.allOf(pending.toArray(new java.util.concurrent.CompletableFuture<?>[0]))
				.join();
		}
		catch (java.util.concurrent.CompletionException e) {
			Throwable cause = io.promptbatch.core.client.ChatException.unwrap(e);
			if (cause instanceof io.promptbatch.core.client.ChatException ce && (ce.status() == 404 || ce.status() == 405)) {
				// the server has no such route: a usage mistake, not a failure to retry
				throw new PromptbatchCommand.UsageException("--exact: " + url + " has no token-count endpoint (POST "
						+ url + "/tokenizers/estimate-token-count answered HTTP " + ce.status() + "): only Moonshot's "
						+ "API (--provider moonshot) has one; leave out --exact to count with an OpenAI tokenizer, "
						+ "which approximates the server's");
			}
			throw new IllegalStateException("--exact: the token count failed: "
					+ (cause instanceof io.promptbatch.core.client.ChatException ce ? ce.describe() : cause.toString()), cause);
		}
		return tally.estimates(prices);
	}

	private CompletionGuess guess(String m, Map<String, Optional<double[]>> history) {
		Integer maxTokens = prompts.maxTokens;
		if (maxTokens != null) {
			return CompletionGuess.limit(maxTokens, "--max-tokens " + maxTokens
					+ " per row (an upper bound: answers may stop earlier)");
		}
		Optional<double[]> past = history.computeIfAbsent(m, this::history);
		if (past.isPresent()) {
			long mean = Math.round(past.get()[0]);
			return new CompletionGuess(mean, mean / 2, mean * 2, "mean of " + (long) past.get()[1]
					+ " earlier run(s) of " + m + " in " + (state.stateDb == null ? state.stateDir : state.where()) + ": " + mean + " per row (low half, high double)");
		}
		return new CompletionGuess(DEFAULT_COMPLETION_TOKENS, 50, 1000, "default " + DEFAULT_COMPLETION_TOKENS
				+ " per row (low 50, high 1000); give --max-tokens, or run once to learn the model's mean");
	}

	private Optional<double[]> history(String m) {
		if (!state.hasState()) {
			return Optional.empty();
		}
		try (GracefulStop stop = GracefulStop.install();
				JobSession session = JobSession.open(state, v -> null, Endpoints.IDENTITY,
						stop.signal())) {
			return session.launcher().completionHistory(m);
		}
		catch (PromptbatchCommand.UsageException e) {
			// a run holds the state directory: estimate without history
			return Optional.empty();
		}
		catch (java.io.IOException e) {
			return Optional.empty();
		}
	}

	private static String usd(@Nullable BigDecimal d) {
		return d == null ? "no price" : "$" + d.setScale(4, RoundingMode.HALF_UP).toPlainString();
	}

	private void printTable(PrintWriter out, List<CostEstimate> estimates, PriceTable prices, TokenEstimator tokens) {
		PriceTable batch = prices.forBatches();
		out.printf(Locale.ROOT, "%-24s %7s %14s %18s %12s %12s %12s %12s%n", "MODEL", "ROWS", "PROMPT TOKENS",
				"COMPLETION TOKENS", "COST", "LOW", "HIGH", "BATCH API");
		for (CostEstimate e : estimates) {
			out.printf(Locale.ROOT, "%-24s %7d %14d %18d %12s %12s %12s %12s%n", e.model(), e.rows(), e.promptTokens(),
					e.completionTokens(), usd(e.cost(prices)), usd(e.costLow(prices)), usd(e.costHigh(prices)),
					usd(e.cost(batch)));
		}
		out.println();
		out.println("Assumptions:");
		out.println(exact ? "  prompt tokens: counted by the provider's token-count endpoint"
				: "  prompt tokens: counted with " + tokens.tokenizer() + " plus the chat format's overhead; this "
						+ "approximates the provider's own tokenizer");
		for (CostEstimate e : estimates) {
			out.println("  " + e.model() + ": completion " + e.guess().basis());
			if (e.ownLimits() > 0) {
				out.println("  " + e.model() + ": " + e.ownLimits() + " row(s) with their own max_tokens, which replaces "
						+ "--max-tokens and caps the guess");
			}
			out.println("  " + e.model() + ": " + (e.price() == null ? "no price in the table: cost unknown (add it with --prices)"
					: "USD per million tokens: input " + e.price().input() + ", output " + e.price().output()
							+ " (no context-cache hits assumed)"));
			out.println("  " + e.model() + ": " + prices.batchPrice(e.model())
				.map(b -> "through the provider's Batch API (run --batch-api): input " + b.input() + ", output "
						+ b.output())
				.orElse("no Batch API price in the table (BATCH API: no price)"));
		}
		out.println("  prices as of " + prices.asOf() + " (" + prices.source() + ")");
	}

	private void printJson(PrintWriter out, List<CostEstimate> estimates, PriceTable prices, TokenEstimator tokens) {
		ObjectNode root = JSON.createObjectNode();
		ArrayNode models = root.putArray("models");
		for (CostEstimate e : estimates) {
			ObjectNode m = models.addObject();
			m.put("model", e.model());
			m.put("rows", e.rows());
			m.put("prompt_tokens", e.promptTokens());
			m.put("completion_tokens", e.completionTokens());
			m.put("cost_usd", e.cost(prices));
			m.put("cost_low_usd", e.costLow(prices));
			m.put("cost_high_usd", e.costHigh(prices));
			m.put("batch_cost_usd", e.cost(prices.forBatches()));
			m.put("completion_low", e.completionLow());
			m.put("completion_high", e.completionHigh());
			m.put("completion_basis", e.guess().basis());
			m.put("rows_with_own_max_tokens", e.ownLimits());
		}
		ObjectNode assumptions = root.putObject("assumptions");
		assumptions.put("tokenizer", exact ? "the provider's token-count endpoint"
				: tokens.tokenizer() + " (approximates the provider's tokenizer)");
		assumptions.put("prices_as_of", prices.asOf());
		assumptions.put("prices_source", prices.source());
		out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root));
	}
}
