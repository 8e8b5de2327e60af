package io.promptbatch.core.prompt;

import java.io.BufferedReader;
import java.io.IOException;
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
 * settings, overriding the run's), matched ignoring case and surrounding spaces; every other column is a
 * template variable carried to the output. The delimiter is a comma ({@code .tsv}: a tab) unless the header
 * shows another (see {@link CsvDelimiter}).
 */
final class CsvPromptReader implements PromptReader {

	private static final CSVFormat FORMAT = CSVFormat.RFC4180.builder()
		.setHeader()
		.setSkipHeaderRecord(true)
		.setIgnoreEmptyLines(true)
		.setDuplicateHeaderMode(DuplicateHeaderMode.DISALLOW)
		.get();

	/** How much of the file's start is looked at for the header line. */
	private static final int HEADER_PEEK = 1 << 16;

	private final Path file;
	private final InputText text;
	private final CsvDelimiter delimiter;
	private final CSVParser parser;
	private final Iterator<CSVRecord> records;
	private final int width;
	private final CsvHeader header;
	private final List<String> carried;
	private final @Nullable PromptTemplate template;
	private final @Nullable String defaultSystem;
	private final int id;
	private final int system;
	private final int model;
	private final int temperature;
	private final int maxTokens;
	private long recordNumber;
	private long linesConsumed;

	CsvPromptReader(Path file, InputText text, PromptOptions options, boolean tsv) {
		this.file = file;
		this.text = text;
		this.template = options.template() == null ? null : PromptTemplate.of(options.template());
		this.defaultSystem = options.system();
		BufferedReader reader = new BufferedReader(text.reader(), HEADER_PEEK);
		this.delimiter = CsvDelimiter.of(firstLine(reader), tsv, template);
		try {
			this.parser = FORMAT.builder().setDelimiter(delimiter.delimiter()).get().parse(reader);
		}
		catch (IOException | UncheckedIOException e) {
			throw failure(1, e);
		}
		catch (IllegalArgumentException e) {
			throw new InputException(file, 1, "bad header row: " + e.getMessage()
					+ "; give every column a distinct name");
		}
		List<String> names = List.copyOf(parser.getHeaderNames());
		if (names.isEmpty()) {
			throw new InputException(file, 1, "the file is empty; it needs a header row with a 'prompt' column");
		}
		this.width = names.size();
		this.header = new CsvHeader(file, names, template, delimiter.note());
		this.id = header.indexOf("id");
		this.system = header.indexOf("system");
		this.model = header.indexOf("model");
		this.temperature = header.indexOf("temperature");
		this.maxTokens = header.indexOf("max_tokens");
		this.carried = header.carried().stream().map(CsvHeader.Carried::name).toList();
		this.records = parser.iterator();
		this.linesConsumed = parser.getCurrentLineNumber();
	}

	/** The file's first line, leaving the reader where it was. */
	private String firstLine(BufferedReader reader) {
		try {
			reader.mark(HEADER_PEEK);
			StringBuilder line = new StringBuilder();
			int c;
			while (line.length() < HEADER_PEEK - 1 && (c = reader.read()) != -1 && c != '\n' && c != '\r') {
				line.append((char) c);
			}
			reader.reset();
			return line.toString();
		}
		catch (IOException e) {
			throw text.unreadable(file, 1, e);
		}
	}

	/** The id the record last read names in its {@code id} column, or null (for a rejected record's line). */
	private @Nullable String lastRecordId;

	@Override
	public @Nullable String lastRecordId() {
		return lastRecordId;
	}

	@Override
	public @Nullable Prompt read() {
		lastRecordId = null;
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
		if (record.size() != width) {
			throw InputException.record(file, line, "record " + recordNumber + " has " + record.size()
					+ " fields but the header has " + width + "; check for a stray " + delimiter.inWords()
					+ " or an unquoted line break");
		}
		lastRecordId = id >= 0 && !record.get(id).isBlank() ? record.get(id).strip() : null;
		String user;
		if (template != null) {
			Map<String, String> values = new LinkedHashMap<>();
			header.variables().forEach((name, index) -> values.put(name, record.get(index)));
			user = template.render(values);
		}
		else {
			user = record.get(header.prompt());
		}
		String systemText = system >= 0 && !record.get(system).isEmpty() ? record.get(system) : defaultSystem;
		String idText = id >= 0 && !record.get(id).isBlank() ? record.get(id).strip() : Long.toString(recordNumber);
		String modelText = model >= 0 && !record.get(model).isBlank() ? record.get(model).strip() : null;
		Map<String, String> columns = new LinkedHashMap<>();
		for (CsvHeader.Carried c : header.carried()) {
			columns.put(c.name(), record.get(c.index()));
		}
		Prompt.Settings settings = Prompt.Settings.NONE;
		if (temperature >= 0 || maxTokens >= 0) {
			settings = new Prompt.Settings(
					temperature >= 0 ? InputReaders.temperature(file, line, record.get(temperature)) : null,
					maxTokens >= 0 ? InputReaders.maxTokens(file, line, record.get(maxTokens)) : null, Map.of(), false);
		}
		return new Prompt(recordNumber, line, idText, InputReaders.messages(file, line, systemText, user), modelText,
				columns, settings);
	}

	@Override
	public List<String> assumed() {
		List<String> assumed = new ArrayList<>(2);
		if (text.assumed() != null) {
			assumed.add(text.assumed());
		}
		if (delimiter.note() != null) {
			assumed.add(delimiter.note());
		}
		return assumed;
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
			return text.unreadable(file, line, cce);
		}
		String message = cause.getMessage() == null ? cause.toString() : cause.getMessage();
		if (message.contains("EOF reached before encapsulated token finished")) {
			return new InputException(file, line, "a quoted field starting at or after this line is never closed; "
					+ "check for an unbalanced double quote (write a literal quote as \"\")", e);
		}
		if (message.contains("invalid char between encapsulated token and delimiter")) {
			return new InputException(file, line, "a quoted field is followed by text before the next " + delimiter.inWords() + "; "
					+ "write a literal quote inside a quoted field as \"\"", e);
		}
		return new InputException(file, line, "malformed CSV (" + message + ")", e);
	}
}
