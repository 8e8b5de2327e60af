package io.promptbatch.batch;

import java.util.Locale;

/**
 * How a run uses the response cache: the answers recorded in the state database by earlier runs,
 * keyed by base URL and canonical request body.
 */
public enum CacheMode {

	/** Answer identical requests from the cache (marked {@code cached}, cost 0); send the rest. */
	USE,

	/** Send every request, even one the cache could answer. */
	BYPASS,

	/** Answer from the cache only; rows the cache cannot answer fail without a request. */
	ONLY;

	public String id() {
		return name().toLowerCase(Locale.ROOT);
	}

	public static CacheMode of(String id) {
		return valueOf(id.toUpperCase(Locale.ROOT));
	}
}
