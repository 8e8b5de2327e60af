package io.promptbatch.batch;

import static io.promptbatch.batch.RunParameters.BASE_URL;
import static io.promptbatch.batch.RunParameters.BATCH_API;
import static io.promptbatch.batch.RunParameters.CACHE;
import static io.promptbatch.batch.RunParameters.FROM;
import static io.promptbatch.batch.RunParameters.INPUT;
import static io.promptbatch.batch.RunParameters.INPUT_SHA256;
import static io.promptbatch.batch.RunParameters.MAX_TOKENS;
import static io.promptbatch.batch.RunParameters.MODEL;
import static io.promptbatch.batch.RunParameters.MODEL_GIVEN;
import static io.promptbatch.batch.RunParameters.OUTPUT;
import static io.promptbatch.batch.RunParameters.OUTPUT_FORMAT;
import static io.promptbatch.batch.RunParameters.PARAMS;
import static io.promptbatch.batch.RunParameters.RUN_KEY;
import static io.promptbatch.batch.RunParameters.SCORE;
import static io.promptbatch.batch.RunParameters.SKIP_INVALID;
import static io.promptbatch.batch.RunParameters.SYSTEM;
import static io.promptbatch.batch.RunParameters.TEMPERATURE;
import static io.promptbatch.batch.RunParameters.TEMPLATE;
import static io.promptbatch.batch.RunParameters.TO;

import io.promptbatch.core.prompt.InputFingerprint;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;
import org.springframework.batch.core.job.parameters.JobParameters;

/**
 * How two runs' {@link RunParameters} differ, in the words of the options that set them: for the messages that
 * refuse a run over an output another run wrote.
 */
final class RunDifferences {

	private static final Map<String, String> SETTING_NAMES = Map.ofEntries(Map.entry(INPUT, "--input"),
			Map.entry(OUTPUT, "--output"), Map.entry(BASE_URL, "--base-url"), Map.entry(MODEL, "--model"),
			Map.entry(MODEL_GIVEN, "--model given"), Map.entry(SYSTEM, "--system"), Map.entry(TEMPLATE, "--template"),
			Map.entry(SKIP_INVALID, "--skip-invalid"), Map.entry(MAX_TOKENS, "--max-tokens"),
			Map.entry(TEMPERATURE, "--temperature"), Map.entry(PARAMS, "--param"), Map.entry(RUN_KEY, "--run-key"),
			Map.entry(OUTPUT_FORMAT, "--output-format"), Map.entry(CACHE, "--no-cache/--cache-only"),
			Map.entry(SCORE, "--score"), Map.entry(FROM, "first record"), Map.entry(TO, "end record"),
			Map.entry(BATCH_API, "--batch-api"));

	private RunDifferences() {
	}

	/**
	 * The settings that tell two runs apart and differ between them, as the user would name them:
	 * "--temperature: 0.2 then, 0.7 now"; an input's content as what changed in the file.
	 */
	static List<String> between(JobParameters then, JobParameters now) {
		List<String> differences = new ArrayList<>();
		Set<String> names = new TreeSet<>();
		then.getIdentifyingParameters().forEach(parameter -> names.add(parameter.name()));
		now.getIdentifyingParameters().forEach(parameter -> names.add(parameter.name()));
		for (String name : names) {
			Object a = valueOf(then, name);
			Object b = valueOf(now, name);
			if (Objects.equals(a, b)) {
				continue;
			}
			if (name.equals(INPUT_SHA256)) {
				InputFingerprint before = RunParameters.input(then);
				InputFingerprint after = RunParameters.input(now);
				differences.add("the input's content: " + (before == null || after == null ? "not recorded then"
						: before.changesTo(after)));
			}
			else {
				differences.add(SETTING_NAMES.getOrDefault(name, name) + ": " + shown(a) + " then, " + shown(b) + " now");
			}
		}
		return differences;
	}

	private static @Nullable Object valueOf(JobParameters p, String name) {
		var parameter = p.getParameter(name);
		return parameter == null || !parameter.identifying() ? null : parameter.value();
	}

	private static String shown(@Nullable Object value) {
		return value == null ? "not given" : "'" + value + "'";
	}
}
