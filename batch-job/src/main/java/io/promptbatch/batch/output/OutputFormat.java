package io.promptbatch.batch.output;

import io.promptbatch.batch.fanout.AnswerRow;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;
import org.apache.commons.csv.QuoteMode;
import org.jspecify.annotations.Nullable;
import org.springframework.batch.infrastructure.item.file.transform.LineAggregator;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The output file's format: {@code jsonl} or {@code csv} (chosen by the output's extension unless named),
 * or {@code openai-batch}, the OpenAI Batch API's output lines.
 */
public enum OutputFormat {

	JSONL, CSV, OPENAI_BATCH;

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private static final CSVFormat CSV_FORMAT = CSVFormat.RFC4180.builder()
		.setRecordSeparator("")
		.setQuoteMode(QuoteMode.MINIMAL)
		.get();

	/**
	 * The format an output file's extension names.
	 * @throws IllegalArgumentException when the extension is neither
	 */
	public static OutputFormat of(Path output) {
		OutputFormat format = forExtension(output);
		if (format == null) {
			throw new IllegalArgumentException(output + ": unknown output format; name the file .jsonl or .csv "
					+ "(or choose one with --output-format)");
		}
		return format;
	}

	/** The format an output file's extension names, or null when it names none. */
	public static @Nullable OutputFormat forExtension(Path output) {
		String name = output.getFileName().toString().toLowerCase(Locale.ROOT);
		if (name.endsWith(".jsonl") || name.endsWith(".ndjson")) {
			return JSONL;
		}
		if (name.endsWith(".csv")) {
			return CSV;
		}
		return null;
	}

	/**
	 * The format with this name: jsonl, csv or openai-batch.
	 * @throws IllegalArgumentException for any other name
	 */
	public static OutputFormat named(String id) {
		for (OutputFormat f : values()) {
			if (f.id().equalsIgnoreCase(id.strip())) {
				return f;
			}
		}
		throw new IllegalArgumentException("unknown output format '" + id + "'; use jsonl, csv or openai-batch");
	}

	/** The name of the format on the command line. */
	public String id() {
		return name().toLowerCase(Locale.ROOT).replace('_', '-');
	}

	/** Formats one row as one line (a CSV line may hold quoted line breaks). */
	public LineAggregator<AnswerRow> aggregator(OutputColumns columns) {
		return switch (this) {
			case JSONL -> row -> jsonLine(columns.values(row));
			case CSV -> row -> csvLine(columns.values(row).values());
			case OPENAI_BATCH -> OpenAiBatchLines::line;
		};
	}

	/** The header line, or null for formats without one. */
	public @Nullable String header(OutputColumns columns) {
		return this == CSV ? csvLine(columns.names()) : null;
	}

	private static String jsonLine(Map<String, Object> values) {
		ObjectNode node = JSON.createObjectNode();
		values.forEach((k, v) -> {
			if (v == null) {
				node.putNull(k);
			}
			else if (v instanceof Long l) {
				node.put(k, l);
			}
			else if (v instanceof Integer i) {
				node.put(k, i);
			}
			else if (v instanceof BigDecimal d) {
				node.put(k, d);
			}
			else if (v instanceof Boolean b) {
				node.put(k, b);
			}
			else if (v instanceof JsonNode json) {
				node.set(k, json);
			}
			else {
				node.put(k, v.toString());
			}
		});
		return JSON.writeValueAsString(node);
	}

	private static String csvLine(Iterable<?> values) {
		StringWriter out = new StringWriter();
		try (CSVPrinter printer = new CSVPrinter(out, CSV_FORMAT)) {
			for (Object v : values) {
				printer.print(v instanceof BigDecimal d ? d.toPlainString() : v instanceof JsonNode json ? JSON.writeValueAsString(json) : v);
			}
			printer.println();
		}
		catch (IOException e) {
			throw new UncheckedIOException(e);
		}
		return out.toString();
	}
}
