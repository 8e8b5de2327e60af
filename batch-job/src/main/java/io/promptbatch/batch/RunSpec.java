package io.promptbatch.batch;

import io.promptbatch.batch.output.OutputFormat;
import io.promptbatch.core.client.ClientSettings;
import io.promptbatch.core.provider.MaxTokensField;
import io.promptbatch.core.score.Scorer;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * Everything one run needs, as the user gave it, grouped by what it is about. Each group declares its
 * defaults (as the text the command's options show, read by the options, this builder and the job
 * parameters alike) and checks its values when it is made. It is one piece, over 350 lines, because the groups,
 * their defaults and the builder that fills them from those defaults are the one place each setting is declared;
 * split up, a default or a check would be declared twice again. The API key is not here: it is looked up from
 * the environment by variable name when the run starts, and never stored.
 *
 * @param files what is read and written
 * @param target where the requests go and which model they name
 * @param request what each request carries besides the prompt
 * @param resilience how failures, slow answers and outages are met
 * @param throughput how fast the run sends and how much it commits at once
 * @param accounting what the run may spend, how it prices, caches and scores, and what tells it apart
 * @param batching whether rows go through the provider's Batch API instead of one live request each, and how
 */
public record RunSpec(Files files, Target target, RequestShape request, Resilience resilience, Throughput throughput,
		Accounting accounting, Batching batching) {

	/** A spec whose rows are sent live. */
	public RunSpec(Files files, Target target, RequestShape request, Resilience resilience, Throughput throughput,
			Accounting accounting) {
		this(files, target, request, resilience, throughput, accounting, Batching.OFF);
	}

	/**
	 * @param input the prompts file (.csv or .jsonl)
	 * @param output the answers file (.jsonl or .csv)
	 * @param format the output file's format
	 * @param from first record (0-based) of the range this run covers
	 * @param to end of the range, exclusive; {@link Long#MAX_VALUE} for the end of the file
	 * @param skipInvalid leave out invalid records (listed in {@code <output>.rejects.jsonl}) instead of refusing
	 *     the file
	 * @param report write the run's HTML page at the end (not part of the run's identity)
	 */
	public record Files(Path input, Path output, OutputFormat format, long from, long to, boolean skipInvalid,
			boolean report) {

		public Files {
			input = input.toAbsolutePath().normalize();
			output = output.toAbsolutePath().normalize();
			if (from < 0 || to < from) {
				throw new IllegalArgumentException("record range must satisfy 0 <= from <= to, was [" + from + ", " + to
						+ ")");
			}
		}
	}

	/**
	 * @param baseUrl the OpenAI-style base URL
	 * @param model the model for records that name none
	 * @param modelGiven the model was named by the user (it then overrides the model in an OpenAI Batch line's
	 *     body)
	 * @param keyVariable the environment variable that holds the key, or null for a server that needs none
	 */
	public record Target(String baseUrl, String model, boolean modelGiven, @Nullable String keyVariable) {
	}

	/**
	 * @param system the system message for records without one, or null
	 * @param template the user-message template, or null
	 * @param maxTokens the completion token limit, or null
	 * @param maxTokensField the body field that carries the cap ({@code --max-tokens-field}), or null to send the
	 *     one the provider and model family honour
	 * @param temperature the sampling temperature, or null
	 * @param params other request body fields ({@code --param key=value}), by name
	 */
	public record RequestShape(@Nullable String system, @Nullable String template, @Nullable Integer maxTokens,
			@Nullable MaxTokensField maxTokensField, @Nullable Double temperature, Map<String, JsonNode> params) {

		public static final RequestShape DEFAULTS = new RequestShape(null, null, null, null, null, Map.of());

		public RequestShape {
			params = Collections.unmodifiableMap(new TreeMap<>(params));
			if (maxTokens != null && maxTokens < 1) {
				throw new IllegalArgumentException("max tokens must be at least 1, was " + maxTokens);
			}
		}
	}

	/**
	 * @param maxRetries retries per request after the first attempt
	 * @param timeout time allowed for one attempt
	 * @param stream stream answers (same rows as without; only the transport differs)
	 * @param idleTimeout with streaming, the longest silence allowed between bytes
	 * @param maxOutage how long the run waits out a provider outage before it stops (resumably)
	 * @param maxRowTime the longest one row may take, retries and their waits included
	 */
	public record Resilience(int maxRetries, Duration timeout, boolean stream, Duration idleTimeout,
			Duration maxOutage, Duration maxRowTime) {

		// the client's own defaults and checks (core's ClientSettings), which its builder reads too
		public static final String MAX_RETRIES = ClientSettings.MAX_RETRIES;
		public static final String TIMEOUT = ClientSettings.TIMEOUT;
		public static final String IDLE_TIMEOUT = ClientSettings.IDLE_TIMEOUT;
		public static final String MAX_OUTAGE = ClientSettings.MAX_OUTAGE;
		public static final String MAX_ROW_TIME = ClientSettings.MAX_ROW_TIME;

		public static final Resilience DEFAULTS = new Resilience(Integer.parseInt(MAX_RETRIES),
				ClientSettings.duration(TIMEOUT), false, ClientSettings.duration(IDLE_TIMEOUT),
				ClientSettings.duration(MAX_OUTAGE), ClientSettings.duration(MAX_ROW_TIME));

		public Resilience {
			ClientSettings.maxRetries(maxRetries);
			ClientSettings.positive("timeout", timeout);
			ClientSettings.positive("idle timeout", idleTimeout);
			ClientSettings.positive("max outage", maxOutage);
			ClientSettings.positive("max time per row", maxRowTime);
		}
	}

	/**
	 * @param concurrency rows in flight at most, fixed or adapted to the provider
	 * @param rpm requests per minute at most, 0 for no limit
	 * @param tpm tokens per minute at most, 0 for no limit
	 * @param chunkSize rows written per commit
	 */
	public record Throughput(Concurrency concurrency, long rpm, long tpm, int chunkSize) {

		public static final String RPM = ClientSettings.RPM;
		public static final String TPM = ClientSettings.TPM;
		public static final String CHUNK_SIZE = "100";

		public static final Throughput DEFAULTS = new Throughput(Concurrency.fixed(Integer.parseInt(Concurrency.DEFAULT)),
				Long.parseLong(RPM), Long.parseLong(TPM), Integer.parseInt(CHUNK_SIZE));

		public Throughput {
			ClientSettings.perMinute("requests per minute", rpm);
			ClientSettings.perMinute("tokens per minute", tpm);
			if (chunkSize < 1) {
				throw new IllegalArgumentException("chunk size must be at least 1, was " + chunkSize);
			}
		}
	}

	/**
	 * @param budgetUsd spending limit of the whole run in USD, never exceeded, or null
	 * @param prices a price file adding to or replacing the bundled table, or null
	 * @param cache how the response cache is used
	 * @param score how answers are scored against the rows' {@code expected} values, or null for no scoring
	 * @param runKey distinguishes runs of the same input and output (e.g. a date), or null
	 */
	public record Accounting(@Nullable BigDecimal budgetUsd, @Nullable Path prices, CacheMode cache,
			@Nullable Scorer score, @Nullable String runKey) {

		public static final Accounting DEFAULTS = new Accounting(null, null, CacheMode.USE, null, null);

		public Accounting {
			if (budgetUsd != null && budgetUsd.signum() <= 0) {
				throw new IllegalArgumentException("budget must be more than 0 USD, was " + budgetUsd);
			}
		}
	}

	/**
	 * @param enabled rows go through the provider's Batch API ({@code --batch-api}); a batch run and a live run of the
	 *     same files are two runs
	 * @param completionWindow the time the provider is given to answer ({@code --completion-window})
	 * @param noWait submit the batches and end without waiting for them ({@code --no-wait})
	 * @param fallbackLive rows the batches did not answer for the provider's reasons, once their follow-up batches
	 *     are used up, are sent live ({@code --batch-fallback live}) instead of failing
	 * @param maxPoll the longest wait between two looks at a batch's status
	 * @param maxBytes the most bytes of one batch file, 0 for the provider's limit
	 * @param maxLines the most lines of one batch file, 0 for the provider's limit
	 */
	public record Batching(boolean enabled, String completionWindow, boolean noWait, boolean fallbackLive,
			Duration maxPoll, long maxBytes, long maxLines) {

		public static final String COMPLETION_WINDOW = "24h";
		public static final String MAX_POLL = "60s";

		public static final Batching OFF = new Batching(false, COMPLETION_WINDOW, false, false,
				ClientSettings.duration(MAX_POLL), 0, 0);

		public Batching {
			if (!completionWindow.matches("\\d+[hd]")) {
				throw new IllegalArgumentException("completion window must be hours or days such as 24h or 7d, was '"
						+ completionWindow + "'");
			}
			if (maxPoll.isNegative() || maxPoll.isZero()) {
				throw new IllegalArgumentException("the longest wait between status checks must be positive, was "
						+ maxPoll);
			}
			if (maxBytes < 0 || maxLines < 0) {
				throw new IllegalArgumentException("batch file limits must not be negative, were " + maxBytes
						+ " bytes and " + maxLines + " lines");
			}
		}
	}

	/** A spec with the defaults for everything but the files, the server and the model. */
	public static RunSpec of(Path input, Path output, String baseUrl, String model) {
		return builder(input, output, baseUrl, model).build();
	}

	/**
	 * A builder with the defaults for everything but the files, the server and the model; the output
	 * format follows the output's extension.
	 */
	public static Builder builder(Path input, Path output, String baseUrl, String model) {
		return new Builder(input, output, new Target(baseUrl, model, false, null));
	}

	/** A builder holding this spec's values. */
	public Builder toBuilder() {
		Builder b = new Builder(files.input(), files.output(), target);
		b.format = files.format();
		b.from = files.from();
		b.to = files.to();
		b.skipInvalid = files.skipInvalid();
		b.report = files.report();
		b.request = request;
		b.resilience = resilience;
		b.throughput = throughput;
		b.accounting = accounting;
		b.batching = batching;
		return b;
	}

	/**
	 * Builds a {@link RunSpec} from the groups' defaults; each setter returns the builder and checks its group
	 * as it goes.
	 */
	public static final class Builder {

		private final Path input;
		private final Path output;
		private @Nullable OutputFormat format;
		private long from;
		private long to = Long.MAX_VALUE;
		private boolean skipInvalid;
		private boolean report;
		private Target target;
		private RequestShape request = RequestShape.DEFAULTS;
		private Resilience resilience = Resilience.DEFAULTS;
		private Throughput throughput = Throughput.DEFAULTS;
		private Accounting accounting = Accounting.DEFAULTS;
		private Batching batching = Batching.OFF;

		private Builder(Path input, Path output, Target target) {
			this.input = input;
			this.output = output;
			this.target = target;
		}

		public Builder modelGiven(boolean given) {
			target = new Target(target.baseUrl(), target.model(), given, target.keyVariable());
			return this;
		}

		public Builder keyVariable(@Nullable String variable) {
			target = new Target(target.baseUrl(), target.model(), target.modelGiven(), variable);
			return this;
		}

		/** What each request carries besides the prompt. */
		public Builder request(RequestShape shape) {
			request = shape;
			return this;
		}

		public Builder system(@Nullable String text) {
			RequestShape r = request;
			return request(new RequestShape(text, r.template(), r.maxTokens(), r.maxTokensField(), r.temperature(),
					r.params()));
		}

		public Builder template(@Nullable String text) {
			RequestShape r = request;
			return request(new RequestShape(r.system(), text, r.maxTokens(), r.maxTokensField(), r.temperature(),
					r.params()));
		}

		public Builder maxTokens(@Nullable Integer limit) {
			RequestShape r = request;
			return request(new RequestShape(r.system(), r.template(), limit, r.maxTokensField(), r.temperature(),
					r.params()));
		}

		/** The body field that carries the cap, or null to send the one the provider and model honour. */
		public Builder maxTokensField(@Nullable MaxTokensField field) {
			RequestShape r = request;
			return request(new RequestShape(r.system(), r.template(), r.maxTokens(), field, r.temperature(), r.params()));
		}

		public Builder temperature(@Nullable Double value) {
			RequestShape r = request;
			return request(new RequestShape(r.system(), r.template(), r.maxTokens(), r.maxTokensField(), value,
					r.params()));
		}

		public Builder params(Map<String, JsonNode> fields) {
			RequestShape r = request;
			return request(new RequestShape(r.system(), r.template(), r.maxTokens(), r.maxTokensField(), r.temperature(),
					fields));
		}

		public Builder skipInvalid(boolean skip) {
			this.skipInvalid = skip;
			return this;
		}

		public Builder range(long first, long end) {
			this.from = first;
			this.to = end;
			return this;
		}

		public Builder outputFormat(@Nullable OutputFormat outputFormat) {
			this.format = outputFormat;
			return this;
		}

		/** Write the run's HTML page at the end. */
		public Builder report(boolean write) {
			this.report = write;
			return this;
		}

		/** How failures, slow answers and outages are met. */
		public Builder resilience(Resilience settings) {
			resilience = settings;
			return this;
		}

		public Builder retries(int retries, Duration attemptTimeout) {
			Resilience r = resilience;
			return resilience(new Resilience(retries, attemptTimeout, r.stream(), r.idleTimeout(), r.maxOutage(),
					r.maxRowTime()));
		}

		public Builder stream(boolean streaming) {
			Resilience r = resilience;
			return resilience(new Resilience(r.maxRetries(), r.timeout(), streaming, r.idleTimeout(), r.maxOutage(),
					r.maxRowTime()));
		}

		public Builder idleTimeout(Duration timeout) {
			Resilience r = resilience;
			return resilience(new Resilience(r.maxRetries(), r.timeout(), r.stream(), timeout, r.maxOutage(),
					r.maxRowTime()));
		}

		/** How long a provider outage is waited out, and how long one row may take in all. */
		public Builder limits(Duration outage, Duration rowTime) {
			Resilience r = resilience;
			return resilience(new Resilience(r.maxRetries(), r.timeout(), r.stream(), r.idleTimeout(), outage, rowTime));
		}

		/** How fast the run sends and how much it commits at once. */
		public Builder throughput(Throughput settings) {
			throughput = settings;
			return this;
		}

		public Builder concurrency(Concurrency inFlight) {
			Throughput t = throughput;
			return throughput(new Throughput(inFlight, t.rpm(), t.tpm(), t.chunkSize()));
		}

		public Builder concurrency(int n) {
			return concurrency(Concurrency.fixed(n));
		}

		/** Adapts the number in flight to the provider, up to {@code max}. */
		public Builder autoConcurrency(int max) {
			return concurrency(Concurrency.auto(max));
		}

		public Builder rates(long requestsPerMinute, long tokensPerMinute) {
			Throughput t = throughput;
			return throughput(new Throughput(t.concurrency(), requestsPerMinute, tokensPerMinute, t.chunkSize()));
		}

		public Builder chunkSize(int size) {
			Throughput t = throughput;
			return throughput(new Throughput(t.concurrency(), t.rpm(), t.tpm(), size));
		}

		/** What the run may spend, how it prices, caches and scores, and what tells it apart. */
		public Builder accounting(Accounting settings) {
			accounting = settings;
			return this;
		}

		public Builder budgetUsd(@Nullable BigDecimal usd) {
			Accounting a = accounting;
			return accounting(new Accounting(usd, a.prices(), a.cache(), a.score(), a.runKey()));
		}

		public Builder prices(@Nullable Path file) {
			Accounting a = accounting;
			return accounting(new Accounting(a.budgetUsd(), file, a.cache(), a.score(), a.runKey()));
		}

		public Builder cache(CacheMode mode) {
			Accounting a = accounting;
			return accounting(new Accounting(a.budgetUsd(), a.prices(), mode, a.score(), a.runKey()));
		}

		public Builder score(@Nullable Scorer scorer) {
			Accounting a = accounting;
			return accounting(new Accounting(a.budgetUsd(), a.prices(), a.cache(), scorer, a.runKey()));
		}

		public Builder runKey(@Nullable String key) {
			Accounting a = accounting;
			return accounting(new Accounting(a.budgetUsd(), a.prices(), a.cache(), a.score(), key));
		}

		/** Whether and how rows go through the provider's Batch API. */
		public Builder batching(Batching settings) {
			batching = settings;
			return this;
		}

		public RunSpec build() {
			Files f = new Files(input, output, format != null ? format : OutputFormat.of(output), from, to, skipInvalid,
					report);
			return new RunSpec(f, target, request, resilience, throughput, accounting, batching);
		}
	}
}
