package io.promptbatch.core.client.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class PlainHttpTlsIntegrationTests {

	private HttpServer server;

	@BeforeEach
	void start() throws IOException {
		server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
		server.createContext("/", exchange -> {
			byte[] body = "plain".getBytes(StandardCharsets.UTF_8);
			exchange.sendResponseHeaders(200, body.length);
			exchange.getResponseBody().write(body);
			exchange.close();
		});
		server.start();
	}

	@AfterEach
	void stop() {
		server.stop(0);
	}

	@Test
	void aPlainHttpExchangeNeverMakesTheTlsContext() throws Exception {
		PlainHttpTls tls = new PlainHttpTls();
		HttpClient client = HttpClient.newBuilder().sslContext(tls).sslParameters(PlainHttpTls.parameters()).build();

		HttpResponse<String> response = client.send(HttpRequest.newBuilder(uri("http")).build(),
				HttpResponse.BodyHandlers.ofString());

		assertThat(response.statusCode()).isEqualTo(200);
		assertThat(response.body()).isEqualTo("plain");
		assertThat(tls.loaded()).as("TLS context made for a plain-HTTP exchange").isFalse();
	}

	@Test
	void aTlsConnectionGetsAContextMadeThen() throws Exception {
		PlainHttpTls tls = new PlainHttpTls();
		HttpClient client = HttpClient.newBuilder().sslContext(tls).sslParameters(PlainHttpTls.parameters()).build();
		// a server that answers the handshake with plain text: the handshake starts, so the context is made, and fails
		try (ServerSocket plainText = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
			Thread acceptor = new Thread(() -> {
				try (Socket s = plainText.accept()) {
					s.getOutputStream().write("HTTP/1.1 400 Bad Request\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
					s.getOutputStream().flush();
					s.getInputStream().read();
				}
				catch (IOException e) {
					// the test fails on the client's side if this matters
				}
			});
			acceptor.start();
			URI https = URI.create("https://127.0.0.1:" + plainText.getLocalPort() + "/");
			assertThatThrownBy(() -> client.send(HttpRequest.newBuilder(https).timeout(Duration.ofSeconds(10)).build(),
					HttpResponse.BodyHandlers.ofString())).isInstanceOf(IOException.class);
			acceptor.join(10_000);
		}
		assertThat(tls.loaded()).isTrue();
	}

	private URI uri(String scheme) {
		return URI.create(scheme + "://127.0.0.1:" + server.getAddress().getPort() + "/");
	}
}
