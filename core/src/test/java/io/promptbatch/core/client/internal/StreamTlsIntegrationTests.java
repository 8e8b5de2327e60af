package io.promptbatch.core.client.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.promptbatch.core.chat.ChatRequest;
import io.promptbatch.core.chat.Message;
import io.promptbatch.core.client.ChatClient;
import io.promptbatch.core.client.ChatException;
import io.promptbatch.core.client.ChatOutcome;
import io.promptbatch.core.client.RetriableChatException;
import io.promptbatch.core.client.internal.SocketSseServer.Reply;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Streamed attempts over TLS to a server on 127.0.0.1 whose self-signed certificates the JDK's keytool makes
 * for the test: a certificate the client trusts, for the host it asked for, gives the answer (with the host sent
 * as SNI, and the connection reused); an untrusted certificate, or a trusted one for another name, fails the
 * handshake, so that the certificate and its name are checked.
 */
class StreamTlsIntegrationTests {

	private static final char[] PASSWORD = "changeit".toCharArray();

	private static final byte[] BODY = WireFormat.streamingRequestBody(
			WireFormat.requestBody(new ChatRequest("kimi-k2.5", List.of(Message.user("Hi")), null, null)));

	@TempDir
	static Path dir;

	/** A certificate for localhost and 127.0.0.1. */
	private static KeyStore localhost;

	/** A certificate for another name only. */
	private static KeyStore elsewhere;

	private final ExecutorService executor = Executors.newFixedThreadPool(2);

	private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();

	@BeforeAll
	static void makeCertificates() throws Exception {
		localhost = keyStore("localhost", "SAN=dns:localhost,ip:127.0.0.1");
		elsewhere = keyStore("elsewhere", "SAN=dns:elsewhere.invalid");
	}

	@AfterEach
	void stop() {
		executor.shutdownNow();
		timer.shutdownNow();
	}

	/** A key pair and its self-signed certificate, made by keytool in a PKCS12 store. */
	private static KeyStore keyStore(String name, String san) throws Exception {
		Path file = dir.resolve(name + ".p12");
		Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
				"-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=" + name,
				"-ext", san, "-validity", "2", "-storetype", "PKCS12", "-keystore", file.toString(), "-storepass",
				new String(PASSWORD), "-keypass", new String(PASSWORD))
			.redirectErrorStream(true)
			.start();
		String output = new String(keytool.getInputStream().readAllBytes());
		assertThat(keytool.waitFor(60, TimeUnit.SECONDS)).isTrue();
		assertThat(keytool.exitValue()).as(output).isZero();
		KeyStore store = KeyStore.getInstance("PKCS12");
		try (InputStream in = Files.newInputStream(file)) {
			store.load(in, PASSWORD);
		}
		return store;
	}

	private static SSLContext serverTls(KeyStore store) throws Exception {
		KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
		keys.init(store, PASSWORD);
		SSLContext context = SSLContext.getInstance("TLS");
		context.init(keys.getKeyManagers(), null, null);
		return context;
	}

	/** Trusts the one certificate of {@code store}. */
	private static TrustManagerFactory trusting(KeyStore store) throws Exception {
		KeyStore trusted = KeyStore.getInstance("PKCS12");
		trusted.load(null, null);
		trusted.setCertificateEntry("server", store.getCertificate("server"));
		TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
		trust.init(trusted);
		return trust;
	}

	private HttpTransport transport(String host, int port, TrustManagerFactory trust) {
		return new HttpTransport(URI.create("https://" + host + ":" + port + "/v1/chat/completions"), "sk-test",
				Duration.ofSeconds(5), Duration.ofSeconds(5), new ErrorMapper("the key"), executor, timer, trust);
	}

	private static ChatException failureOf(CompletableFuture<?> future) {
		return (ChatException) ChatException.unwrap(future.handle((r, e) -> e).join());
	}

	private static boolean causedByHandshake(Throwable t) {
		for (Throwable c = t; c != null; c = c.getCause()) {
			if (c instanceof SSLHandshakeException) {
				return true;
			}
		}
		return false;
	}

	@Test
	void aTrustedCertificateForTheHostGivesTheAnswerOverOneConnection() throws Exception {
		try (SocketSseServer server = new SocketSseServer(serverTls(localhost), Reply.ANSWER);
				HttpTransport transport = transport("localhost", server.port(), trusting(localhost))) {
			// when
			String first = transport.attempt(BODY, true).join().content();
			String second = transport.attempt(BODY, true).join().content();

			// then: the answers, one handshake, and the host named in it
			assertThat(first).isEqualTo("Hello");
			assertThat(second).isEqualTo("Hello");
			assertThat(server.connections()).isEqualTo(1);
			assertThat(server.serverNames).containsExactly("localhost");
			assertThat(server.requests.get(0).headers()).containsEntry("authorization", "Bearer sk-test");
		}
	}

	@Test
	void aTrustedCertificateForAnotherNameIsRefused() throws Exception {
		try (SocketSseServer server = new SocketSseServer(serverTls(elsewhere), Reply.ANSWER);
				HttpTransport transport = transport("localhost", server.port(), trusting(elsewhere))) {
			// when
			ChatException failure = failureOf(transport.attempt(BODY, true));

			// then: the handshake failed on the name; no request reached the server
			assertThat(failure).isInstanceOf(RetriableChatException.class);
			assertThat(failure.code()).isEqualTo("connection_error");
			assertThat(causedByHandshake(failure)).as(failure.toString()).isTrue();
			assertThat(failure.getMessage()).contains("localhost");
			assertThat(server.requests).isEmpty();
		}
	}

	@Test
	void aCertificateTheJvmDoesNotTrustFailsTheRowAfterItsRetries() throws Exception {
		try (SocketSseServer server = new SocketSseServer(serverTls(localhost), Reply.ANSWER);
				ChatClient client = ChatClient.builder()
					.baseUrl("https://localhost:" + server.port() + "/v1")
					.stream(true)
					.maxRetries(2)
					.backoff(Duration.ofMillis(5), Duration.ofMillis(10))
					.build()) {
			// when: the JVM's default trust store, which has never seen the certificate
			ChatOutcome outcome = client.send(new ChatRequest("kimi-k2.5", List.of(Message.user("Hi")), null, null))
				.join();

			// then: each attempt's handshake failed, and the row failed once its retries were spent
			assertThat(outcome).isInstanceOf(ChatOutcome.Failed.class);
			ChatException error = ((ChatOutcome.Failed) outcome).error();
			assertThat(error.code()).isEqualTo("connection_error");
			assertThat(causedByHandshake(error)).as(error.toString()).isTrue();
			assertThat(outcome.attempts()).isEqualTo(3);
			assertThat(server.connections()).isEqualTo(3);
			assertThat(server.requests).isEmpty();
		}
	}
}
