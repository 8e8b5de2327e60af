package io.promptbatch.cli;

import io.promptbatch.batch.state.OutputLock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The files a run writes, kept off the files it reads: the output and the files named after it (the
 * rejects, the summary, the report, the lock) must not be the input, compared as files (after links,
 * through any path) rather than as names.
 */
final class OutputGuard {

	private OutputGuard() {
	}

	/**
	 * Takes the output's lock: one run per output file, whatever its state directory.
	 * @throws PromptbatchCommand.UsageException when another process holds it
	 */
	static OutputLock lock(Path output) throws IOException {
		try {
			return OutputLock.acquire(output);
		}
		catch (IllegalStateException e) {
			throw new PromptbatchCommand.UsageException(e.getMessage());
		}
	}

	/** The files a run with this output writes besides the output itself. */
	static List<Path> companions(Path output) {
		return List.of(RejectsFile.pathFor(output), SummaryFile.pathFor(output), RunReports.defaultPath(output),
				OutputLock.pathFor(output));
	}

	/**
	 * @throws PromptbatchCommand.UsageException when the output or a companion is one of the inputs
	 */
	static void refuseWritingOnto(Path output, List<Path> inputs) {
		List<Path> written = new java.util.ArrayList<>();
		written.add(output);
		written.addAll(companions(output));
		for (Path input : inputs) {
			for (Path target : written) {
				if (sameFile(input, target)) {
					String which = target.equals(output) ? "--output " + output
							: target + " (written next to --output " + output + ")";
					throw new PromptbatchCommand.UsageException(which + " is the file " + input + " that the run reads"
							+ (target.toString().equals(input.toString()) ? "" : " (the same file under another name or "
									+ "through a link)") + ": writing it would replace what it holds; give another --output");
				}
			}
		}
	}

	private static boolean sameFile(Path a, Path b) {
		try {
			return Files.exists(a) && Files.exists(b) && Files.isSameFile(a, b);
		}
		catch (IOException e) {
			return false;
		}
	}

	/** Refuses an output whose directory is missing or not writable, or that is a directory itself. */
	static void checkLocation(Path output) {
		Path parentDir = output.toAbsolutePath().getParent();
		if (parentDir == null || !Files.isDirectory(parentDir)) {
			throw new PromptbatchCommand.UsageException(output + ": the output's directory does not exist; create it first");
		}
		if (!Files.isWritable(parentDir) || (Files.exists(output) && !Files.isWritable(output))) {
			throw new PromptbatchCommand.UsageException(output + ": cannot write the output here; check permissions");
		}
		if (Files.isDirectory(output)) {
			throw new PromptbatchCommand.UsageException(output + ": is a directory; --output takes a file name");
		}
	}
}
