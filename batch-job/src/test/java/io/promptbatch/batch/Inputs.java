package io.promptbatch.batch;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Test inputs and outputs. */
final class Inputs {

	static final JsonMapper JSON = JsonMapper.builder().build();

	private Inputs() {
	}

	static String promptOf(int i) {
		return "Prompt " + i + ": say something, briefly, about the number " + i + ".";
	}

	/** A CSV file of {@code n} prompts with ids {@code p1..pn} and a carried {@code group} column. */
	static Path csv(Path dir, int n) {
		Path file = dir.resolve("prompts-" + n + ".csv");
		try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
			w.write("id,prompt,group\n");
			for (int i = 1; i <= n; i++) {
				w.write("p" + i + ",\"" + promptOf(i) + "\",g" + (i % 7) + "\n");
			}
		}
		catch (IOException e) {
			throw new UncheckedIOException(e);
		}
		return file;
	}

	static List<JsonNode> jsonl(Path file) throws IOException {
		List<JsonNode> rows = new ArrayList<>();
		if (!Files.exists(file)) {
			return rows;
		}
		for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
			rows.add(JSON.readTree(line));
		}
		return rows;
	}
}
