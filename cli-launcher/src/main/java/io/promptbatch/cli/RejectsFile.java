package io.promptbatch.cli;

import io.promptbatch.core.prompt.InputScan;
import io.promptbatch.core.prompt.PromptOptions;
import io.promptbatch.core.prompt.Rejected;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code <output>.rejects.jsonl}: the records {@code --skip-invalid} leaves out, one JSON object per
 * line with {@code line}, {@code id} and {@code reason}. Output rows plus rejects equal input records.
 */
final class RejectsFile {

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private RejectsFile() {
	}

	static Path pathFor(Path output) {
		return output.resolveSibling(output.getFileName() + ".rejects.jsonl");
	}

	/** Scans the input, writing the rejects file (empty when nothing is left out). */
	static InputScan scan(Path input, PromptOptions options, Path output) throws IOException {
		Path rejects = pathFor(output);
		try (BufferedWriter w = Files.newBufferedWriter(rejects, StandardCharsets.UTF_8)) {
			return InputScan.of(input, options, r -> write(w, r));
		}
		catch (UncheckedIOException e) {
			throw e.getCause();
		}
	}

	private static void write(BufferedWriter w, Rejected r) {
		ObjectNode node = JSON.createObjectNode();
		node.put("line", r.line());
		node.put("id", r.id());
		node.put("reason", r.reason());
		try {
			w.write(JSON.writeValueAsString(node));
			w.write('\n');
		}
		catch (IOException e) {
			throw new UncheckedIOException(e);
		}
	}
}
