package io.promptbatch.core.limit;

/**
 * The provider was down for longer than allowed: every request waiting on the {@link OutageBreaker}
 * fails with this, and the client reports it as a fatal {@code provider_outage}.
 */
public final class ProviderOutageException extends RuntimeException {

	private static final long serialVersionUID = 1L;

	/** @param message what was down, for how long, and what to do */
	public ProviderOutageException(String message) {
		super(message);
	}
}
