package io.promptbatch.core.client.internal;

import java.security.KeyManagementException;
import java.security.Provider;
import java.security.SecureRandom;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLContextSpi;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocketFactory;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;

/**
 * The TLS context of an HTTP client whose endpoint is plain HTTP (a local server, the simulator). Such a
 * client never opens a TLS connection, yet the JDK's client takes a TLS context when it is built: the default
 * one loads the security providers, the ciphers and the trust store, and even a bare {@code TLS} context
 * loads the providers (0.05 to 0.1 s of every start, on the way to the first request). This one loads
 * nothing until a TLS connection is asked for, and then it is a context that trusts no certificate, so that
 * such a connection fails.
 *
 * <p>Build the client with {@link #parameters()} too: without parameters of its own, the client asks the
 * context for its defaults, which would load it.
 */
public final class PlainHttpTls extends SSLContext {

	private final Lazy lazy;

	public PlainHttpTls() {
		this(new Lazy());
	}

	private PlainHttpTls(Lazy lazy) {
		super(lazy, new Provider("promptbatch-plain-http", "1", "no TLS for a plain-HTTP endpoint") {
			private static final long serialVersionUID = 1L;
		}, "TLS");
		this.lazy = lazy;
	}

	/** The parameters to build the client with, so that it does not ask this context for its defaults. */
	public static SSLParameters parameters() {
		return new SSLParameters();
	}

	/** Whether the TLS context behind this one has been made (a TLS connection was asked for). */
	public boolean loaded() {
		return lazy.context != null;
	}

	private static final class Lazy extends SSLContextSpi {

		private volatile SSLContext context;

		private SSLContext context() {
			SSLContext c = context;
			if (c == null) {
				synchronized (this) {
					c = context;
					if (c == null) {
						try {
							c = SSLContext.getInstance("TLS");
							// no trust managers: every certificate is refused
							c.init(new KeyManager[0], new TrustManager[0], null);
						}
						catch (java.security.GeneralSecurityException e) {
							throw new IllegalStateException("no TLS context", e);
						}
						context = c;
					}
				}
			}
			return c;
		}

		@Override
		protected void engineInit(KeyManager[] km, TrustManager[] tm, SecureRandom sr) throws KeyManagementException {
			throw new KeyManagementException("the TLS context of a plain-HTTP client cannot be initialized");
		}

		@Override
		protected SSLSocketFactory engineGetSocketFactory() {
			return context().getSocketFactory();
		}

		@Override
		protected SSLServerSocketFactory engineGetServerSocketFactory() {
			return context().getServerSocketFactory();
		}

		@Override
		protected SSLEngine engineCreateSSLEngine() {
			return context().createSSLEngine();
		}

		@Override
		protected SSLEngine engineCreateSSLEngine(String host, int port) {
			return context().createSSLEngine(host, port);
		}

		@Override
		protected SSLSessionContext engineGetServerSessionContext() {
			return context().getServerSessionContext();
		}

		@Override
		protected SSLSessionContext engineGetClientSessionContext() {
			return context().getClientSessionContext();
		}

		@Override
		protected SSLParameters engineGetDefaultSSLParameters() {
			return context().getDefaultSSLParameters();
		}

		@Override
		protected SSLParameters engineGetSupportedSSLParameters() {
			return context().getSupportedSSLParameters();
		}
	}
}
