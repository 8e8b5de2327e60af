package io.promptbatch.cli;

import io.promptbatch.simulator.BatchProvider;
import io.promptbatch.simulator.ChatSimulator;
import io.promptbatch.simulator.Latency;
import io.promptbatch.simulator.SimulatorConfig;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code promptbatch simulator}: the fake provider, in the foreground. */
@Command(name = "simulator", mixinStandardHelpOptions = true, sortOptions = false,
		description = { "Runs an OpenAI/Kimi-compatible fake chat-completions server on 127.0.0.1 until stopped.",
				"Answers are deterministic; GET /counters reports requests, statuses and peak in-flight.",
				"It also serves the Batch API (/v1/files, /v1/batches) as OpenAI or Kimi do, each line answered as a live request would be." },
		footer = { "", "Example:", "  promptbatch simulator --port 8089 --latency 200ms --sigma 1.0 --rate-429 0.1",
				"  promptbatch run --base-url http://127.0.0.1:8089/v1 --model kimi-k2.5 --input ... --output ..." })
final class SimulatorCommand implements Callable<Integer> {

	@Spec
	CommandSpec spec;

	@Option(names = "--port", defaultValue = "8089", description = "Port on 127.0.0.1; 0 picks a free one (default: ${DEFAULT-VALUE}).")
	int port;

	@Option(names = "--latency", paramLabel = "DURATION", defaultValue = "100ms", converter = DurationConverter.OrZero.class, description = "Median latency; 0 to answer at once (default: ${DEFAULT-VALUE}).")
	Duration latency;

	@Option(names = "--sigma", defaultValue = "0", description = "Lognormal sigma of the latency; 0 for fixed (default: ${DEFAULT-VALUE}).")
	double sigma;

	@Option(names = "--rate-429", defaultValue = "0", description = "Share of requests answered 429 with Retry-After.")
	double rate429;

	@Option(names = "--retry-after", defaultValue = "1", description = "Retry-After seconds of those 429s (default: ${DEFAULT-VALUE}).")
	int retryAfter;

	@Option(names = "--rate-500", defaultValue = "0", description = "Share of requests answered 500.")
	double rate500;

	@Option(names = "--rate-reset", defaultValue = "0", description = "Share of connections cut mid-response.")
	double rateReset;

	@Option(names = "--rate-hang", defaultValue = "0", description = "Share of requests never answered.")
	double rateHang;

	@Option(names = "--rate-stream-error", defaultValue = "0", description = "Share of streams that send an error event (500) after a few chunks and end without [DONE].")
	double rateStreamError;

	@Option(names = "--answer-tokens", paramLabel = "N", defaultValue = "0", description = "Every answer exactly N tokens (one streamed chunk each), cut or padded with filler words; 0 for the usual short answer.")
	int answerTokens;

	@Option(names = "--chunk-rate", paramLabel = "PER_SECOND", defaultValue = "0", description = "Chunks a stream sends per second after its latency; 0 to send them at once.")
	double chunkRate;

	@Option(names = "--rpm", defaultValue = "0", description = "Requests per minute allowed (per rolling second); 0 for no limit.")
	int rpm;

	@Option(names = "--max-in-flight", defaultValue = "0", description = "Requests in flight allowed; above it 429; 0 for no limit.")
	int maxInFlight;

	@Option(names = "--require-key", paramLabel = "KEY", description = "Bearer key every request must carry (401 otherwise).")
	@Nullable String requiredKey;

	@Option(names = "--seed", defaultValue = "42", description = "Seed of the fault and latency draws.")
	long seed;

	@Option(names = "--batch-provider", paramLabel = "openai|kimi", defaultValue = "openai", converter = BatchProviderConverter.class, description = "Whose Batch API to play: the completion windows accepted (openai: 24h; kimi: 12h to 7d), the default limits, and Kimi's refusal of temperature, top_p, n, presence_penalty and frequency_penalty in kimi-k2.5/k2.6 batch lines (default: ${DEFAULT-VALUE}).")
	BatchProvider batchProvider;

	@Option(names = "--batch-duration", paramLabel = "DURATION", defaultValue = "2s", converter = DurationConverter.OrZero.class, description = "How long a batch is in_progress, its lines answered at an even pace; validating and finalizing take a tenth of it each; 0 to answer at once (default: ${DEFAULT-VALUE}).")
	Duration batchDuration;

	@Option(names = "--batch-expire-after", paramLabel = "DURATION", converter = DurationConverter.class, description = "Batches expire this long after creation, the lines done so far in the output file and the rest in the error file (batch_expired); default never.")
	@Nullable Duration batchExpireAfter;

	@Option(names = "--batch-expire-first", paramLabel = "N", defaultValue = "0", description = "Only the first N batches created expire (--batch-expire-after); those after them run to their end; 0 for every batch (default: ${DEFAULT-VALUE}).")
	int batchExpireFirst;

	@Option(names = "--batch-rate-500", paramLabel = "SHARE", defaultValue = "0", description = "Share of batch lines answered 500 (in the error file), drawn with --seed.")
	double batchRate500;

	@Option(names = "--batch-upload-delay", paramLabel = "DURATION", defaultValue = "0", converter = DurationConverter.OrZero.class, description = "Uploads are answered this long after the file is stored (default: ${DEFAULT-VALUE}).")
	Duration batchUploadDelay;

	@Option(names = "--batch-max-lines", paramLabel = "N", description = "Lines a batch file may hold; 0 for no limit (default: openai 50000, kimi none).")
	@Nullable Integer batchMaxLines;

	@Option(names = "--batch-max-bytes", paramLabel = "N", description = "Bytes an uploaded batch file may hold (default: openai 209715200, kimi 104857600).")
	@Nullable Long batchMaxBytes;

	@Option(names = "--batch-max-files", paramLabel = "N", description = "Batch files that may be stored at once; 0 for no limit (default: openai none, kimi 1000).")
	@Nullable Integer batchMaxFiles;

	/** Reads {@code openai} or {@code kimi}. */
	static final class BatchProviderConverter implements picocli.CommandLine.ITypeConverter<BatchProvider> {

		@Override
		public BatchProvider convert(String value) {
			return switch (value.strip().toLowerCase(java.util.Locale.ROOT)) {
				case "openai" -> BatchProvider.OPENAI;
				case "kimi", "moonshot" -> BatchProvider.KIMI;
				default -> throw new picocli.CommandLine.TypeConversionException(
						"'" + value + "' is not a Batch API the simulator plays; write openai or kimi");
			};
		}
	}

	/** The simulator these options describe. */
	SimulatorConfig config() {
		SimulatorConfig.Builder builder = SimulatorConfig.builder()
			.port(port)
			.latency(sigma > 0 ? Latency.lognormal(latency, sigma) : Latency.fixed(latency))
			.rate429(rate429, retryAfter)
			.rate500(rate500)
			.rateReset(rateReset)
			.rateHang(rateHang)
			.rateStreamError(rateStreamError)
			.answerTokens(answerTokens)
			.chunksPerSecond(chunkRate)
			.requestsPerMinute(rpm)
			.maxInFlight(maxInFlight)
			.requiredKey(requiredKey)
			.seed(seed)
			.workerThreads(16)
			.batchProvider(batchProvider)
			.batchDuration(batchDuration)
			.batchExpireAfter(batchExpireAfter)
			.batchExpireFirst(batchExpireFirst)
			.batchRate500(batchRate500)
			.batchUploadDelay(batchUploadDelay);
		if (batchMaxLines != null) {
			builder.batchMaxLines(batchMaxLines);
		}
		if (batchMaxBytes != null) {
			builder.batchMaxBytes(batchMaxBytes);
		}
		if (batchMaxFiles != null) {
			builder.batchMaxFiles(batchMaxFiles);
		}
		return builder.build();
	}

	@Override
	public Integer call() throws Exception {
		PrintWriter out = spec.commandLine().getOut();
		SimulatorConfig config = config();
		CountDownLatch stopped = new CountDownLatch(1);
		try (ChatSimulator simulator = ChatSimulator.start(config)) {
			Runtime.getRuntime().addShutdownHook(new Thread(stopped::countDown));
			out.println("promptbatch simulator listening on " + simulator.baseUrl() + " (" + config + ")");
			out.println("  counters: http://127.0.0.1:" + simulator.port() + "/counters   stop with Ctrl-C");
			out.flush();
			stopped.await();
		}
		return 0;
	}
}
