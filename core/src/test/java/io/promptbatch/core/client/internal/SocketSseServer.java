package io.promptbatch.core.client.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.jspecify.annotations.Nullable;

/**
 * An HTTP/1.1 server on a real socket of 127.0.0.1, plain or TLS, that answers each request from a script and
 * keeps connections open between requests: it counts the connections it accepted, so that a test sees whether
 * the client reused one, and it keeps each request's headers and body as received.
 */
final class SocketSseServer implements AutoCloseable {

	/** A whole stream: two chunks, then {@code [DONE]}. */
	static final String ANSWER = "data: {\"id\":\"c1\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}\n\n"
			+ "data: {\"id\":\"c1\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo\"},"
			+ "\"finish_reason\":\"stop\"}]}\n\n"
			+ "data: [DONE]\n\n";

	/** What the server does with one request. */
	enum Reply {
		/** The whole {@link #ANSWER}, chunked; the connection is kept. */
		ANSWER,
		/** The whole answer with {@code Connection: close}, then the connection closed. */
		ANSWER_AND_CLOSE,
		/** The answer's first event, then the connection closed in the middle of the chunked body. */
		BREAK,
		/** Nothing at all: not even the headers. */
		STALL_HEADERS,
		/** The headers and the first event, then nothing. */
		STALL_BODY,
		/** A 429 with a JSON error body, {@code Retry-After: 3} and a request id; the connection is kept. */
		TOO_MANY,
		/** A 502 announcing a body of 5,000 bytes, 100 of them sent, then nothing. */
		STALL_ERROR_BODY,
		/** A status line that is not HTTP, then the connection closed. */
		GARBAGE,
		/** The whole {@link #ANSWER} after 20 KiB of response headers (a CDN's cookies). */
		BIG_HEADERS
	}

	/** One request as received. */
	record Request(String line, Map<String, String> headers, byte[] body) {
	}

	private final ServerSocket server;
	private final ConcurrentLinkedQueue<Reply> script = new ConcurrentLinkedQueue<>();
	private final List<Socket> sockets = new CopyOnWriteArrayList<>();
	private final AtomicInteger connections = new AtomicInteger();
	final List<Request> requests = new CopyOnWriteArrayList<>();
	/** The host names the clients asked for in their TLS handshakes (SNI). */
	final List<String> serverNames = new CopyOnWriteArrayList<>();
	private final Reply last;
	private volatile boolean closed;

	/**
	 * @param tls the server's TLS context, or null for plain HTTP
	 * @param replies what each request gets in turn; the last one repeats
	 */
	SocketSseServer(@Nullable SSLContext tls, Reply... replies) throws IOException {
		InetAddress local = InetAddress.getByName("127.0.0.1");
		this.server = tls == null ? new ServerSocket(0, 64, local)
				: tls.getServerSocketFactory().createServerSocket(0, 64, local);
		script.addAll(List.of(replies));
		this.last = replies[replies.length - 1];
		Thread acceptor = new Thread(this::accept, "sse-server-accept");
		acceptor.setDaemon(true);
		acceptor.start();
	}

	int port() {
		return server.getLocalPort();
	}

	/** How many connections the server has accepted. */
	int connections() {
		return connections.get();
	}

	private void accept() {
		while (!closed) {
			try {
				Socket socket = server.accept();
				connections.incrementAndGet();
				sockets.add(socket);
				Thread t = new Thread(() -> serve(socket), "sse-server-connection");
				t.setDaemon(true);
				t.start();
			}
			catch (IOException e) {
				return;
			}
		}
	}

	private void serve(Socket socket) {
		try (socket) {
			if (socket instanceof SSLSocket ssl) {
				ssl.startHandshake();
				if (ssl.getSession() instanceof ExtendedSSLSession session) {
					session.getRequestedServerNames()
						.forEach(n -> serverNames.add(n instanceof SNIHostName h ? h.getAsciiName() : n.toString()));
				}
			}
			InputStream in = socket.getInputStream();
			OutputStream out = socket.getOutputStream();
			while (!closed) {
				Request request = read(in);
				if (request == null) {
					return;
				}
				requests.add(request);
				Reply reply = script.poll();
				if (!answer(reply == null ? last : reply, in, out)) {
					return;
				}
			}
		}
		catch (IOException e) {
			// the client went away, or its handshake failed
		}
	}

	/** Answers one request; false when the connection is to end. */
	private boolean answer(Reply reply, InputStream in, OutputStream out) throws IOException {
		String first = ANSWER.substring(0, ANSWER.indexOf("\n\n") + 2);
		switch (reply) {
			case ANSWER -> {
				out.write(head(200, "text/event-stream", ""));
				out.write(chunk(first));
				out.write(chunk(ANSWER.substring(first.length())));
				out.write(ascii("0\r\n\r\n"));
				out.flush();
				return true;
			}
			case ANSWER_AND_CLOSE -> {
				out.write(head(200, "text/event-stream", "Connection: close\r\n"));
				out.write(chunk(ANSWER));
				out.write(ascii("0\r\n\r\n"));
				out.flush();
				return false;
			}
			case BREAK -> {
				out.write(head(200, "text/event-stream", ""));
				out.write(chunk(first));
				out.flush();
				return false;
			}
			case STALL_HEADERS -> {
				waitForClose(in);
				return false;
			}
			case STALL_BODY -> {
				out.write(head(200, "text/event-stream", ""));
				out.write(chunk(first));
				out.flush();
				waitForClose(in);
				return false;
			}
			case TOO_MANY -> {
				byte[] body = ascii("{\"error\":{\"message\":\"slow down\",\"type\":\"rate_limit_error\"}}");
				out.write(ascii("HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\nRetry-After: 3\r\n"
						+ "x-request-id: req-9\r\nContent-Length: " + body.length + "\r\n\r\n"));
				out.write(body);
				out.flush();
				return true;
			}
			case STALL_ERROR_BODY -> {
				out.write(ascii("HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\nContent-Length: 5000\r\n\r\n"));
				out.write(ascii("<html>".repeat(16) + "0123"));
				out.flush();
				waitForClose(in);
				return false;
			}
			case GARBAGE -> {
				out.write(ascii("SSH-2.0-OpenSSH_9.2\r\nnot http at all\r\n\r\n"));
				out.flush();
				return false;
			}
			case BIG_HEADERS -> {
				StringBuilder cookies = new StringBuilder();
				for (int i = 0; i < 20; i++) {
					cookies.append("Set-Cookie: c").append(i).append('=').append("v".repeat(1000)).append("\r\n");
				}
				out.write(head(200, "text/event-stream", cookies.toString()));
				out.write(chunk(ANSWER));
				out.write(ascii("0\r\n\r\n"));
				out.flush();
				return true;
			}
			default -> throw new IllegalStateException(reply.toString());
		}
	}

	/** Holds the connection open, sending nothing, until the client or the test closes it. */
	private void waitForClose(InputStream in) throws IOException {
		// reads until the client closes its end (or close() closes the socket)
		while (!closed && in.read() >= 0) {
			// nothing is expected
		}
	}

	private static byte[] head(int status, String contentType, String extra) {
		return ascii("HTTP/1.1 " + status + " OK\r\nContent-Type: " + contentType + "\r\nTransfer-Encoding: chunked\r\n"
				+ extra + "\r\n");
	}

	private static byte[] chunk(String data) {
		byte[] bytes = data.getBytes(StandardCharsets.UTF_8);
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		out.writeBytes(ascii(Integer.toHexString(bytes.length) + "\r\n"));
		out.writeBytes(bytes);
		out.writeBytes(ascii("\r\n"));
		return out.toByteArray();
	}

	private static byte[] ascii(String s) {
		return s.getBytes(StandardCharsets.US_ASCII);
	}

	/** The next request, or null when the client closed the connection between requests. */
	private static @Nullable Request read(InputStream in) throws IOException {
		String line = line(in);
		if (line == null) {
			return null;
		}
		Map<String, String> headers = new TreeMap<>();
		for (String h = line(in); h != null && !h.isEmpty(); h = line(in)) {
			int colon = h.indexOf(':');
			headers.put(h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim());
		}
		int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
		return new Request(line, headers, in.readNBytes(length));
	}

	private static @Nullable String line(InputStream in) throws IOException {
		ByteArrayOutputStream line = new ByteArrayOutputStream();
		for (int b = in.read(); b >= 0; b = in.read()) {
			if (b == '\n') {
				String s = line.toString(StandardCharsets.US_ASCII);
				return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
			}
			line.write(b);
		}
		return null;
	}

	@Override
	public void close() throws IOException {
		closed = true;
		server.close();
		for (Socket s : sockets) {
			s.close();
		}
	}
}
