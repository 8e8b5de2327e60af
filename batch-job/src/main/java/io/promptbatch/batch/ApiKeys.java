package io.promptbatch.batch;

import org.jspecify.annotations.Nullable;

/**
 * Where API keys come from: the environment, by variable name. The key is looked up when a step
 * starts and held only in the client's memory.
 */
@FunctionalInterface
public interface ApiKeys {

	ApiKeys ENVIRONMENT = System::getenv;

	/** The value of the named variable, or null. */
	@Nullable String lookup(String variable);
}
