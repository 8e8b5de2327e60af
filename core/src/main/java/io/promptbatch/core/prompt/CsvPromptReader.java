package io.promptbatch.core.prompt;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.apache.commons.csv.DuplicateHeaderMode;
import org.jspecify.annotations.Nullable;

/**
 * Reads a CSV file with a header row: {@code prompt} (unless a template is given), and optional
 * {@code id}, {@code system}, {@code model}, {@code temperature}, {@code max_tokens} (the record's own
 * settings, overriding the run's); every other column is a template variable carried to the output.
 */
final class CsvPromptReader implements PromptReader {

	private static final CSVFormat FORMAT = CSVFormat.RFC4180.builder()
		.setHeader()
		.setSkipHeaderRecord(true)
		.setIgnoreEmptyLines(true)
		.setDuplicateHeaderMode(DuplicateHeaderMode.DISALLOW)
		.get();

	private final Path file;
	private final CSVParser parser;
	private final Iterator<CSVRecord> records;
	private final List<String> headers;
	private final List<String> carried;
	private final @Nullable PromptTemplate template;
	private final @Nullable String defaultSystem;
	private final boolean hasId;
	private final boolean hasSystem;
	private final boolean hasModel;
	private final boolean hasTemperature;
	private final boolean hasMaxTokens;
	private long recordNumber;
	private long linesConsumed;

	CsvPromptReader(Path file, Reader reader, PromptOptions options) {
		this.file = file;
		try {
			this.parser = FORMAT.parse(reader);
		}
		catch (IOException | UncheckedIOException e) {
			throw failure(1, e);
		}
		catch (IllegalArgumentException e) {
			throw new InputException(file, 1, "bad header row: " + e.getMessage()
					+ "; give every column a distinct name");
		}
		this.headers = List.copyOf(parser.getHeaderNames());
		if (headers.isEmpty()) {
			throw new InputException(file, 1, "the file is empty; it needs a header row with a 'prompt' column");
		}
		this.template = options.template() == null ? null : PromptTemplate.of(options.template());
		this.defaultSystem = options.system();
		if (template == null && !headers.contains("prompt")) {
			throw new InputException(file, 1, "no 'prompt' column (columns are " + headers
					+ "); add one, or render prompts with --template");
		}
		if (template != null) {
			for (String variable : template.variables()) {
				if (!headers.contains(variable)) {
					throw new InputException(file, 1, "template variable {{" + variable + "}} is not a column (columns are "
							+ headers + ")");
				}
			}
		}
		this.hasId = headers.contains("id");
		this.hasSystem = headers.contains("system");
		this.hasModel = headers.contains("model");
		this.hasTemperature = headers.contains("temperature");
		this.hasMaxTokens = headers.contains("max_tokens");
		List<String> carriedColumns = new ArrayList<>();
		for (String h : headers) {
			boolean reserved = h.equals("id") || h.equals("system") || h.equals("model") || h.equals("temperature")
					|| h.equals("max_tokens") || (h.equals("prompt") && template == null);
			if (!reserved) {
				carriedColumns.add(h);
			}
		}
		this.carried = List.copyOf(carriedColumns);
		this.records = parser.iterator();
		this.linesConsumed = parser.getCurrentLineNumber();
	}

	@Override
	public @Nullable Prompt read() {
		long line = linesConsumed + 1;
		CSVRecord record;
		try {
			if (!records.hasNext()) {
				return null;
			}
			record = records.next();
		}
		catch (UncheckedIOException | IllegalStateException e) {
			throw failure(line, e);
		}
		linesConsumed = parser.getCurrentLineNumber();
		recordNumber++;
		if (record.size() != headers.size()) {
			throw InputException.record(file, line, "record " + recordNumber + " has " + record.size()
					+ " fields but the header has " + headers.size()
					+ "; check for a stray comma or an unquoted line break");
		}
		Map<String, String> values = new LinkedHashMap<>();
		for (int i = 0; i < headers.size(); i++) {
			values.put(headers.get(i), record.get(i));
		}
		String user;
		if (template != null) {
			user = template.render(values);
		}
		else {
			user = values.get("prompt");
		}
		String system = hasSystem && !values.get("system").isEmpty() ? values.get("system") : defaultSystem;
		String id = hasId && !values.get("id").isBlank() ? values.get("id").strip() : Long.toString(recordNumber);
		String model = hasModel && !values.get("model").isBlank() ? values.get("model").strip() : null;
		Map<String, String> columns = new LinkedHashMap<>();
		for (String c : carried) {
			columns.put(c, values.get(c));
		}
		Prompt.Settings settings = Prompt.Settings.NONE;
		if (hasTemperature || hasMaxTokens) {
			settings = new Prompt.Settings(
					hasTemperature ? InputReaders.temperature(file, line, values.get("temperature")) : null,
					hasMaxTokens ? InputReaders.maxTokens(file, line, values.get("max_tokens")) : null, Map.of(), false);
		}
		return new Prompt(recordNumber, line, id, InputReaders.messages(file, line, system, user), model, columns,
				settings);
	}

	@Override
	public List<String> carriedColumns() {
		return carried;
	}

	@Override
	public void close() {
		try {
			parser.close();
		}
		catch (IOException e) {
			// read-only; nothing to lose
		}
	}

	private InputException failure(long line, Exception e) {
		Throwable cause = e instanceof UncheckedIOException u ? u.getCause() : e;
		if (cause instanceof java.nio.charset.CharacterCodingException cce) {
			return InputReaders.notUtf8(file, line, cce);
		}
		String message = cause.getMessage() == null ? cause.toString() : cause.getMessage();
		if (message.contains("EOF reached before encapsulated token finished")) {
			return new InputException(file, line, "a quoted field starting at or after this line is never closed; "
					+ "check for an unbalanced double quote (write a literal quote as \"\")", e);
		}
		if (message.contains("invalid char between encapsulated token and delimiter")) {
			return new InputException(file, line, "a quoted field is followed by text before the next comma; "
					+ "write a literal quote inside a quoted field as \"\"", e);
		}
		return new InputException(file, line, "malformed CSV (" + message + ")", e);
	}
}
