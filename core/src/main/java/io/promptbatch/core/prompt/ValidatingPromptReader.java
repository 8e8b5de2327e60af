package io.promptbatch.core.prompt;

import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * Checks what a single record cannot: that ids are unique. With {@code skipInvalid}, a record that
 * is bad on its own (or repeats an id) is reported to the listener and left out instead of stopping
 * the read; problems that make the rest of the file unreadable still stop it.
 */
final class ValidatingPromptReader implements PromptReader {

	private final Path file;
	private final PromptReader delegate;
	private final boolean skipInvalid;
	private final Consumer<Rejected> rejects;
	private final IdSet ids = new IdSet();

	ValidatingPromptReader(Path file, PromptReader delegate, boolean skipInvalid, Consumer<Rejected> rejects) {
		this.file = file;
		this.delegate = delegate;
		this.skipInvalid = skipInvalid;
		this.rejects = rejects;
	}

	@Override
	public @Nullable Prompt read() {
		while (true) {
			Prompt prompt;
			try {
				prompt = delegate.read();
			}
			catch (InputException e) {
				if (skipInvalid && e.recordOnly()) {
					rejects.accept(new Rejected(e.line(), delegate.lastRecordId(), e.problem()));
					continue;
				}
				throw e;
			}
			if (prompt == null) {
				return null;
			}
			long first = ids.addOrFirstLine(prompt.id(), prompt.line());
			if (first == 0) {
				return prompt;
			}
			String problem = "duplicate id '" + prompt.id() + "' (first used at line " + first + ")";
			if (!skipInvalid) {
				throw new InputException(file, prompt.line(), problem + "; ids must be unique: fix them, "
						+ "remove the id column to number records, or pass --skip-invalid to leave repeats out");
			}
			rejects.accept(new Rejected(prompt.line(), prompt.id(), problem));
		}
	}

	@Override
	public List<String> carriedColumns() {
		return delegate.carriedColumns();
	}

	@Override
	public List<String> assumed() {
		return delegate.assumed();
	}

	@Override
	public void close() {
		delegate.close();
	}
}
