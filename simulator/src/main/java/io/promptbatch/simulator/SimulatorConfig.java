package io.promptbatch.simulator;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * What the simulator does: where it listens, how slow it is, how often it fails and which limits it
 * enforces. Immutable; build with {@link #builder()}.
 *
 * <p>It is one piece, over 350 lines, because it holds nothing but the settings: one field, one builder field and one
 * checked setter per setting (27 fields, 26 setters), and the words that describe them for the start-up line;
 * splitting it would split the list of settings, not a responsibility.
 */
public final class SimulatorConfig {

	final String host;
	final int port;
	final Latency latency;
	final double rate429;
	final int retryAfterSeconds;
	final double rate500;
	final double rateReset;
	final double rateHang;
	final double rateStreamError;
	final int requestsPerMinute;
	final int maxInFlight;
	final @Nullable String requiredKey;
	final long seed;
	final int workerThreads;
	final int recordRequests;
	final CapFields capFields;
	final int answerTokens;
	final double chunksPerSecond;
	final BatchProvider batchProvider;
	final Duration batchDuration;
	final @Nullable Duration batchExpireAfter;
	final int batchExpireFirst;
	final double batchRate500;
	final Duration batchUploadDelay;
	final int batchMaxLines;
	final long batchMaxBytes;
	final int batchMaxFiles;

	private SimulatorConfig(Builder b) {
		this.host = b.host;
		this.port = b.port;
		this.latency = b.latency;
		this.rate429 = b.rate429;
		this.retryAfterSeconds = b.retryAfterSeconds;
		this.rate500 = b.rate500;
		this.rateReset = b.rateReset;
		this.rateHang = b.rateHang;
		this.rateStreamError = b.rateStreamError;
		this.requestsPerMinute = b.requestsPerMinute;
		this.maxInFlight = b.maxInFlight;
		this.requiredKey = b.requiredKey;
		this.seed = b.seed;
		this.workerThreads = b.workerThreads;
		this.recordRequests = b.recordRequests;
		this.capFields = b.capFields;
		this.answerTokens = b.answerTokens;
		this.chunksPerSecond = b.chunksPerSecond;
		this.batchProvider = b.batchProvider;
		this.batchDuration = b.batchDuration;
		this.batchExpireAfter = b.batchExpireAfter;
		this.batchExpireFirst = b.batchExpireFirst;
		this.batchRate500 = b.batchRate500;
		this.batchUploadDelay = b.batchUploadDelay;
		this.batchMaxLines = b.batchMaxLines >= 0 ? b.batchMaxLines : b.batchProvider.maxLines();
		this.batchMaxBytes = b.batchMaxBytes >= 0 ? b.batchMaxBytes : b.batchProvider.maxBytes();
		this.batchMaxFiles = b.batchMaxFiles >= 0 ? b.batchMaxFiles : b.batchProvider.maxFiles();
	}

	public static Builder builder() {
		return new Builder();
	}

	public int port() {
		return port;
	}

	@Override
	public String toString() {
		return "latency " + latency + ", 429 " + rate429 + ", 500 " + rate500 + ", reset " + rateReset + ", hang "
				+ rateHang + ", stream error " + rateStreamError + ", rpm " + (requestsPerMinute == 0 ? "unlimited" : requestsPerMinute) + ", max in flight "
				+ (maxInFlight == 0 ? "unlimited" : maxInFlight) + ", key " + (requiredKey == null ? "any" : "required")
				+ (answerTokens == 0 ? "" : ", answers of " + answerTokens + " tokens")
				+ (chunksPerSecond == 0 ? "" : ", " + chunksPerSecond + " chunks/s a stream") + "; " + batchDescription();
	}

	/** The Batch API's settings, in words. */
	public String batchDescription() {
		return "batches as " + batchProvider.name().toLowerCase(java.util.Locale.ROOT) + ", " + batchDuration.toMillis()
				+ "ms to run" + (batchExpireAfter == null ? "" : ", expiring after " + batchExpireAfter.toMillis() + "ms"
						+ (batchExpireFirst == 0 ? "" : " (the first " + batchExpireFirst + ")"))
				+ (batchRate500 == 0 ? "" : ", 500 on " + batchRate500 + " of lines")
				+ (batchUploadDelay.isZero() ? "" : ", uploads answered after " + batchUploadDelay.toMillis() + "ms")
				+ ", at most " + (batchMaxLines == 0 ? "any number of" : Integer.toString(batchMaxLines)) + " lines and "
				+ batchMaxBytes + " bytes a file" + (batchMaxFiles == 0 ? "" : ", " + batchMaxFiles + " batch files");
	}

	/** Builds a {@link SimulatorConfig}, checking each value as it is set. */
	public static final class Builder {

		private String host = "127.0.0.1";
		private int port;
		private Latency latency = Latency.NONE;
		private double rate429;
		private int retryAfterSeconds = 1;
		private double rate500;
		private double rateReset;
		private double rateHang;
		private double rateStreamError;
		private int requestsPerMinute;
		private int maxInFlight;
		private @Nullable String requiredKey;
		private long seed = 42;
		private int workerThreads = 8;
		private int recordRequests;
		private CapFields capFields = CapFields.BOTH;
		private int answerTokens;
		private double chunksPerSecond;
		private BatchProvider batchProvider = BatchProvider.OPENAI;
		private Duration batchDuration = Duration.ofSeconds(2);
		private @Nullable Duration batchExpireAfter;
		private int batchExpireFirst;
		private double batchRate500;
		private Duration batchUploadDelay = Duration.ZERO;
		private int batchMaxLines = -1;
		private long batchMaxBytes = -1;
		private int batchMaxFiles = -1;

		private Builder() {
		}

		/** Port to listen on; 0 picks a free one. */
		public Builder port(int port) {
			if (port < 0 || port > 65535) {
				throw new IllegalArgumentException("port must be between 0 and 65535, was " + port);
			}
			this.port = port;
			return this;
		}

		/** Loopback address to listen on. */
		public Builder host(String host) {
			this.host = host;
			return this;
		}

		public Builder latency(Latency latency) {
			this.latency = latency;
			return this;
		}

		/** Share of requests answered with 429 and a {@code Retry-After} header. */
		public Builder rate429(double rate, int retryAfterSeconds) {
			this.rate429 = checkRate("429 rate", rate);
			if (retryAfterSeconds < 0) {
				throw new IllegalArgumentException("Retry-After must not be negative, was " + retryAfterSeconds);
			}
			this.retryAfterSeconds = retryAfterSeconds;
			return this;
		}

		/** Share of requests answered with 500. */
		public Builder rate500(double rate) {
			this.rate500 = checkRate("500 rate", rate);
			return this;
		}

		/** Share of requests whose connection is cut in the middle of the response. */
		public Builder rateReset(double rate) {
			this.rateReset = checkRate("connection reset rate", rate);
			return this;
		}

		/** Share of requests never answered at all (the client's timeout must fire). */
		public Builder rateHang(double rate) {
			this.rateHang = checkRate("hang rate", rate);
			return this;
		}

		/**
		 * Share of streamed requests that fail in the middle, as llama.cpp does: a few chunks of the answer,
		 * then {@code data: {"error":{"code":500,"type":"server_error",...}}}, no {@code [DONE]}, and the
		 * connection closes. Requests that are not streamed are not affected.
		 */
		public Builder rateStreamError(double rate) {
			this.rateStreamError = checkRate("stream error rate", rate);
			return this;
		}

		/** Requests allowed per minute, enforced per rolling second (rpm / 60 a second); 0 for no limit. */
		public Builder requestsPerMinute(int rpm) {
			if (rpm < 0) {
				throw new IllegalArgumentException("requests per minute must not be negative, was " + rpm);
			}
			this.requestsPerMinute = rpm;
			return this;
		}

		/** Requests allowed in flight at once; above it the simulator answers 429; 0 for no limit. */
		public Builder maxInFlight(int maxInFlight) {
			if (maxInFlight < 0) {
				throw new IllegalArgumentException("max in flight must not be negative, was " + maxInFlight);
			}
			this.maxInFlight = maxInFlight;
			return this;
		}

		/** The bearer key every request must carry; null accepts any. */
		public Builder requiredKey(@Nullable String key) {
			this.requiredKey = key;
			return this;
		}

		/** Seed of the fault and latency draws. */
		public Builder seed(long seed) {
			this.seed = seed;
			return this;
		}

		/** Threads that read requests; responses are sent from a scheduler. */
		public Builder workerThreads(int threads) {
			if (threads < 1) {
				throw new IllegalArgumentException("worker threads must be at least 1, was " + threads);
			}
			this.workerThreads = threads;
			return this;
		}

		/** Keeps the bodies of the first {@code max} chat requests and of the first {@code max} answers, for tests to inspect (0, the default: none). */
		public Builder recordRequests(int max) {
			if (max < 0) {
				throw new IllegalArgumentException("recorded requests must not be negative, was " + max);
			}
			this.recordRequests = max;
			return this;
		}

		/**
		 * Which fields are read as the completion token cap (default {@link CapFields#BOTH}); a server that
		 * ignores the field it is sent answers longer than the cap.
		 */
		public Builder capFields(CapFields fields) {
			this.capFields = java.util.Objects.requireNonNull(fields, "cap fields must not be null");
			return this;
		}

		/**
		 * Makes every answer exactly this many completion tokens (one streamed chunk each), the usual answer
		 * cut or padded with filler words, as a reasoning model's long answers are; 0 (the default) keeps the
		 * usual short answer.
		 */
		public Builder answerTokens(int tokens) {
			if (tokens < 0) {
				throw new IllegalArgumentException("answer tokens must not be negative, was " + tokens);
			}
			this.answerTokens = tokens;
			return this;
		}

		/**
		 * Chunks a stream sends per second after its latency, as a model that generates while it streams;
		 * 0 (the default) sends a stream's chunks at once.
		 */
		public Builder chunksPerSecond(double rate) {
			if (!(rate >= 0) || Double.isInfinite(rate)) {
				throw new IllegalArgumentException("chunks per second must be a number of at least 0, was " + rate);
			}
			this.chunksPerSecond = rate;
			return this;
		}

		/**
		 * Whose Batch API is played (default {@link BatchProvider#OPENAI}): the completion windows accepted,
		 * the default limits and the settings refused in batch lines.
		 */
		public Builder batchProvider(BatchProvider provider) {
			this.batchProvider = java.util.Objects.requireNonNull(provider, "batch provider must not be null");
			return this;
		}

		/**
		 * How long a batch is {@code in_progress}, its lines answered at an even pace (default 2s); it is
		 * {@code validating} a tenth of that before and {@code finalizing} a tenth after. Zero answers a
		 * batch at once.
		 */
		public Builder batchDuration(Duration duration) {
			this.batchDuration = checkDuration("batch duration", duration);
			return this;
		}

		/**
		 * After how long from its creation a batch that has not reached {@code finalizing} expires, its
		 * lines answered so far in the output file and the others in the error file; null (the default)
		 * for never.
		 */
		public Builder batchExpireAfter(@Nullable Duration expireAfter) {
			this.batchExpireAfter = expireAfter == null ? null : checkDuration("batch expiry", expireAfter);
			return this;
		}

		/**
		 * How many batches expire (after {@link #batchExpireAfter}): the first so many created; those created after them
		 * run to their end. 0 (the default) for every batch.
		 */
		public Builder batchExpireFirst(int batches) {
			if (batches < 0) {
				throw new IllegalArgumentException("batches that expire must not be negative, was " + batches);
			}
			this.batchExpireFirst = batches;
			return this;
		}

		/** Share of batch lines answered 500 (in the error file), drawn from the seeded fault draws. */
		public Builder batchRate500(double rate) {
			this.batchRate500 = checkRate("batch 500 rate", rate);
			return this;
		}

		/**
		 * How long an upload waits before it is answered (default 0). The file is stored when its body has
		 * been read, before the wait: a client killed while it waits leaves a file it never heard of.
		 */
		public Builder batchUploadDelay(Duration delay) {
			this.batchUploadDelay = checkDuration("batch upload delay", delay);
			return this;
		}

		/** Lines a batch file may hold (above it the batch fails validation); 0 for no limit; default the provider's. */
		public Builder batchMaxLines(int lines) {
			if (lines < 0) {
				throw new IllegalArgumentException("batch max lines must not be negative, was " + lines);
			}
			this.batchMaxLines = lines;
			return this;
		}

		/** Bytes an uploaded batch file may hold (above it the upload is refused); default the provider's. */
		public Builder batchMaxBytes(long bytes) {
			if (bytes < 1) {
				throw new IllegalArgumentException("batch max bytes must be at least 1, was " + bytes);
			}
			this.batchMaxBytes = bytes;
			return this;
		}

		/** Batch files that may be stored at once (above it uploads are refused); 0 for no limit; default the provider's. */
		public Builder batchMaxFiles(int files) {
			if (files < 0) {
				throw new IllegalArgumentException("batch max files must not be negative, was " + files);
			}
			this.batchMaxFiles = files;
			return this;
		}

		public SimulatorConfig build() {
			double faults = rate429 + rate500 + rateReset + rateHang + rateStreamError;
			if (faults > 1.0) {
				throw new IllegalArgumentException("fault rates add up to more than 1: " + faults);
			}
			return new SimulatorConfig(this);
		}

		private static Duration checkDuration(String what, Duration duration) {
			if (duration.isNegative()) {
				throw new IllegalArgumentException(what + " must not be negative, was " + duration);
			}
			return duration;
		}

		private static double checkRate(String what, double rate) {
			if (rate < 0 || rate > 1) {
				throw new IllegalArgumentException(what + " must be between 0 and 1, was " + rate);
			}
			return rate;
		}
	}
}
