package io.promptbatch.core.client.internal;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.CodecException;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.NetUtil;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.promptbatch.core.client.ChatResponse;
import io.promptbatch.core.client.RetriableChatException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpHeaders;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;
import org.jspecify.annotations.Nullable;

/**
 * The streamed exchanges of one transport, over Netty: one event-loop thread (epoll where the native transport
 * loads, else NIO) reads every stream's bytes and frames and parses them as they arrive, with no hand-over to
 * another thread per chunk; the JDK's HTTP client spent about 1.4 times the CPU per streamed chunk
 * (BENCHMARKS.md). Each exchange's outcome completes on the event loop; the transport hands it on to the
 * client's threads.
 * <p>
 * Connections are kept (HTTP/1.1 keep-alive) and reused for the next answer once a response was read to its
 * end, so that a stream does not pay a new connection, or a TLS handshake, per answer. A connection whose
 * exchange failed (a broken, silent, cut or unreadable stream, a timeout, a cancelled attempt) or whose response
 * said {@code Connection: close} is closed, never kept. The idle connections and each connection's exchange are
 * touched on the event loop only.
 * <p>
 * With {@code https} the server's certificate is checked against the trust store (the JVM's default one
 * unless one is given) and its name against the host (endpoint identification {@code HTTPS}, with SNI); with
 * {@code http} no TLS class is loaded.
 * <p>
 * One class of over 350 lines because its parts (the idle connections, each connection's reader, each exchange's
 * state from connect to release) share one piece of state touched only on the event loop, the connection's
 * current exchange: apart, each would reach into the others' fields.
 */
final class NettyStreams implements AutoCloseable {

	/** The most of an error response's body kept (the rest is read and dropped). */
	private static final int MAX_ERROR_BODY = 1 << 20;

	private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

	/** The most of a response's headers read (Netty's default, 8 KiB, is less than a CDN's cookies can take). */
	private static final int MAX_HEADER_SIZE = 64 * 1024;

	private final String host;
	private final int port;
	private final String hostHeader;
	private final String path;
	private final @Nullable String authorization;
	private final Duration timeout;
	private final Duration idleTimeout;
	private final ErrorMapper errors;
	private final ScheduledExecutorService timer;
	private final EventLoopGroup group;
	private final EventLoop loop;
	private final Bootstrap bootstrap;
	private final ArrayDeque<Channel> idle = new ArrayDeque<>();

	/**
	 * @param endpoint where chat requests go ({@code http} or {@code https})
	 * @param apiKey the bearer key, or null; never logged
	 * @param timeout time allowed until the response's headers
	 * @param idleTimeout the longest silence allowed between a stream's bytes
	 * @param timer checks streams for silence
	 * @param trust the certificates trusted with {@code https}, or null for the JVM's default trust store
	 */
	NettyStreams(URI endpoint, @Nullable String apiKey, Duration timeout, Duration idleTimeout, ErrorMapper errors,
			ScheduledExecutorService timer, @Nullable TrustManagerFactory trust) {
		boolean tls = "https".equalsIgnoreCase(endpoint.getScheme());
		String h = endpoint.getHost();
		this.host = h.startsWith("[") && h.endsWith("]") ? h.substring(1, h.length() - 1) : h;
		this.port = endpoint.getPort() != -1 ? endpoint.getPort() : tls ? 443 : 80;
		this.hostHeader = endpoint.getPort() != -1 ? h + ":" + endpoint.getPort() : h;
		String rawPath = endpoint.getRawPath() == null || endpoint.getRawPath().isEmpty() ? "/" : endpoint.getRawPath();
		this.path = endpoint.getRawQuery() == null ? rawPath : rawPath + "?" + endpoint.getRawQuery();
		this.authorization = apiKey == null ? null : "Bearer " + apiKey;
		this.timeout = timeout;
		this.idleTimeout = idleTimeout;
		this.errors = errors;
		this.timer = timer;
		boolean epoll = Epoll.isAvailable();
		this.group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("promptbatch-stream", true),
				epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
		this.loop = group.next();
		Tls context = tls ? Tls.of(trust) : null;
		this.bootstrap = new Bootstrap().group(group)
			.channel(epoll ? EpollSocketChannel.class : NioSocketChannel.class)
			.option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) CONNECT_TIMEOUT.toMillis())
			.option(ChannelOption.TCP_NODELAY, true)
			.handler(new ChannelInitializer<Channel>() {
				@Override
				protected void initChannel(Channel ch) {
					if (context != null) {
						ch.pipeline().addLast(context.handler(ch, host, port));
					}
					ch.pipeline().addLast(new HttpClientCodec(4096, MAX_HEADER_SIZE, 8192), new Connection());
				}
			});
	}

	/** The TLS context, apart so that a plain-HTTP endpoint loads none of its classes. */
	private static final class Tls {

		private final SslContext context;

		private Tls(SslContext context) {
			this.context = context;
		}

		static Tls of(@Nullable TrustManagerFactory trust) {
			try {
				// the JDK's TLS; the certificate's name checked against the host, as a browser does
				SslContextBuilder builder = SslContextBuilder.forClient()
					.sslProvider(SslProvider.JDK)
					.endpointIdentificationAlgorithm("HTTPS");
				if (trust != null) {
					builder.trustManager(trust);
				}
				return new Tls(builder.build());
			}
			catch (SSLException e) {
				throw new IllegalStateException("no TLS context: " + e.getMessage(), e);
			}
		}

		SslHandler handler(Channel ch, String host, int port) {
			// with the host, the certificate is checked against it
			SslHandler handler = context.newHandler(ch.alloc(), host, port);
			if (!NetUtil.isValidIpV4Address(host) && !NetUtil.isValidIpV6Address(host)) {
				// the host as SNI: the JDK sends it by itself only for a name with a dot
				try {
					SSLEngine engine = handler.engine();
					SSLParameters parameters = engine.getSSLParameters();
					parameters.setServerNames(List.of(new SNIHostName(host)));
					engine.setSSLParameters(parameters);
				}
				catch (IllegalArgumentException notAName) {
					// a host that is no SNI name (one ending in a dot): sent without SNI, as the JDK's client does
				}
			}
			return handler;
		}
	}

	/**
	 * One streamed attempt: completes, on the event loop, with the answer or with the failure (a
	 * {@link io.promptbatch.core.client.ChatException}, or the transport's exception for
	 * {@link ErrorMapper#fromTransport}). Cancelling the future ends the exchange and closes its connection.
	 */
	CompletableFuture<ChatResponse> exchange(byte[] body) {
		Exchange exchange = new Exchange(body);
		try {
			loop.execute(exchange::start);
		}
		catch (RejectedExecutionException e) {
			exchange.result.completeExceptionally(new IOException("the HTTP client is closed", e));
		}
		return exchange.result;
	}

	/** Ends the event loop at once: open streams break off, and the JVM's exit waits for no thread. */
	@Override
	public void close() {
		group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
		if (!loop.inEventLoop()) {
			// the loop leaves its wait in native code at once; a JVM that exits while it still waits there pauses
			group.terminationFuture().awaitUninterruptibly(1, TimeUnit.SECONDS);
		}
	}

	/** An idle connection that is still open, or null. */
	private @Nullable Channel takeIdle() {
		for (Channel ch = idle.pollFirst(); ch != null; ch = idle.pollFirst()) {
			if (ch.isActive()) {
				return ch;
			}
			ch.close();
		}
		return null;
	}

	/** The connection after a response read to its end: kept for the next exchange, or closed. */
	private void release(Channel ch, boolean keep) {
		Connection connection = ch.pipeline().get(Connection.class);
		if (connection != null) {
			connection.exchange = null;
		}
		if (keep && ch.isActive() && !loop.isShuttingDown()) {
			idle.addFirst(ch);
		}
		else {
			ch.close();
		}
	}

	/** What the JDK's client calls itself, which the plain attempts still send: one name for both. */
	private static final String USER_AGENT = "Java-http-client/" + System.getProperty("java.version");

	/** The request, its headers as the JDK's client sends them for a streamed attempt. */
	private FullHttpRequest request(byte[] body) {
		FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, path,
				Unpooled.wrappedBuffer(body));
		request.headers()
			.set(HttpHeaderNames.HOST, hostHeader)
			.set(HttpHeaderNames.CONTENT_TYPE, "application/json")
			.set(HttpHeaderNames.ACCEPT, "text/event-stream")
			.set(HttpHeaderNames.USER_AGENT, USER_AGENT)
			.setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
		if (authorization != null) {
			request.headers().set(HttpHeaderNames.AUTHORIZATION, authorization);
		}
		return request;
	}

	/** Netty's failures as the JDK's client's, so that {@link ErrorMapper#fromTransport} gives them one meaning. */
	private static Throwable asJdk(Throwable failure) {
		Throwable t = failure;
		boolean decoding = false;
		while (t instanceof DecoderException && t.getCause() != null) {
			decoding = true;
			t = t.getCause();
		}
		if (decoding && !(t instanceof IOException)) {
			// a response that cannot be read as HTTP (a bad status line, header or chunk size): a retriable protocol
			// failure, as the JDK's client reports it
			java.net.ProtocolException protocol = new java.net.ProtocolException("unreadable response: "
					+ (t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage()));
			protocol.initCause(t);
			return protocol;
		}
		if (t instanceof ConnectTimeoutException) {
			HttpConnectTimeoutException timeout = new HttpConnectTimeoutException(t.getMessage());
			timeout.initCause(t);
			return timeout;
		}
		if (t instanceof IOException || t instanceof RetriableChatException) {
			return t;
		}
		if (t instanceof CodecException) {
			// a response cut before its end (PrematureChannelClosureException), or one that cannot be read
			return new IOException(t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage(), t);
		}
		return t;
	}

	private static HttpHeaders jdkHeaders(io.netty.handler.codec.http.HttpHeaders headers) {
		Map<String, List<String>> map = new HashMap<>();
		for (Map.Entry<String, String> h : headers) {
			map.computeIfAbsent(h.getKey().toLowerCase(Locale.ROOT), k -> new ArrayList<>(1)).add(h.getValue());
		}
		return HttpHeaders.of(map, (name, value) -> true);
	}

	/** The reader of one connection: hands what it reads to the connection's exchange. */
	private final class Connection extends ChannelInboundHandlerAdapter {

		@Nullable Exchange exchange;

		@Override
		public void channelRead(ChannelHandlerContext ctx, Object msg) {
			try {
				Exchange x = exchange;
				if (x == null) {
					// bytes on an idle connection: nothing asked for them, and the connection's state is unknown
					ctx.close();
					return;
				}
				x.read((HttpObject) msg);
			}
			finally {
				ReferenceCountUtil.release(msg);
			}
		}

		@Override
		public void channelInactive(ChannelHandlerContext ctx) {
			idle.remove(ctx.channel());
			Exchange x = exchange;
			if (x != null) {
				x.broken(new IOException("the connection was closed by the server"));
			}
		}

		@Override
		public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
			Exchange x = exchange;
			if (x != null) {
				x.broken(asJdk(cause));
			}
			ctx.close();
		}
	}

	/** What the exchange is reading. */
	private enum Reading {
		HEADERS, INFORMATIONAL, STREAM, ERROR, PLAIN
	}

	/** One attempt: its connection, the response as it is read, and the outcome. Touched on the event loop only. */
	private final class Exchange {

		final CompletableFuture<ChatResponse> result = new CompletableFuture<>();
		private final byte[] body;
		private @Nullable Channel channel;
		private io.netty.util.concurrent.@Nullable ScheduledFuture<?> firstByte;
		private Reading reading = Reading.HEADERS;
		private int status;
		private boolean keepAlive;
		/** Whether the request went out whole: a connection answered early may still carry the rest of it. */
		private boolean written;
		private HttpHeaders headers = HttpHeaders.of(Map.of(), (name, value) -> true);
		private @Nullable StreamingResponse stream;
		private byte[] kept = new byte[0];
		private int keptLength;

		Exchange(byte[] body) {
			this.body = body;
			// cancelled by the caller, or failed by the timeout: the connection goes with it
			result.whenComplete((r, e) -> {
				if (e != null) {
					abortSoon();
				}
			});
		}

		void start() {
			if (result.isDone()) {
				return;
			}
			if (loop.isShuttingDown()) {
				// closing: a connection opened now would be closed by nothing, and its attempt never end
				result.completeExceptionally(new IOException("the HTTP client is closed"));
				return;
			}
			try {
				firstByte = loop.schedule(() -> {
					result.completeExceptionally(new HttpTimeoutException("request timed out"));
				}, timeout.toNanos(), TimeUnit.NANOSECONDS);
				Channel ch = takeIdle();
				if (ch != null) {
					send(ch);
					return;
				}
				bootstrap.connect(host, port).addListener((ChannelFutureListener) this::connected);
			}
			catch (RuntimeException e) {
				// said as the attempt's failure, not left for the timeout
				broken(e);
			}
		}

		private void connected(ChannelFuture f) {
			if (!f.isSuccess()) {
				result.completeExceptionally(connectFailure(f.cause()));
				return;
			}
			if (loop.isShuttingDown()) {
				f.channel().close();
				result.completeExceptionally(new IOException("the HTTP client is closed"));
				return;
			}
			if (result.isDone()) {
				// timed out or cancelled while connecting
				f.channel().close();
				return;
			}
			send(f.channel());
		}

		/**
		 * A failure to connect as the JDK's client gives it: a {@link java.net.ConnectException} whatever stopped it
		 * (refused, an unknown host, no route), unless it was the time or TLS.
		 */
		private Throwable connectFailure(Throwable cause) {
			Throwable t = asJdk(cause);
			if (t instanceof java.net.ConnectException || t instanceof HttpTimeoutException || t instanceof SSLException
					|| !(t instanceof IOException)) {
				return t;
			}
			java.net.ConnectException connect = new java.net.ConnectException(t.getMessage() == null
					? t.getClass().getSimpleName() : t.getMessage());
			connect.initCause(t);
			return connect;
		}

		private void send(Channel ch) {
			channel = ch;
			Connection connection = ch.pipeline().get(Connection.class);
			if (connection == null) {
				result.completeExceptionally(new IOException("the connection was closed"));
				return;
			}
			connection.exchange = this;
			ch.writeAndFlush(request(body)).addListener((ChannelFutureListener) w -> {
				if (w.isSuccess()) {
					written = true;
				}
				else {
					broken(asJdk(w.cause()));
				}
			});
		}

		void read(HttpObject msg) {
			if (msg.decoderResult().isFailure()) {
				broken(asJdk(new DecoderException(msg.decoderResult().cause())));
				return;
			}
			if (msg instanceof HttpResponse response) {
				onHeaders(response);
			}
			if (msg instanceof HttpContent content) {
				onContent(content);
			}
		}

		private void onHeaders(HttpResponse response) {
			status = response.status().code();
			if (status / 100 == 1) {
				// 100 Continue and the like: the response follows
				reading = Reading.INFORMATIONAL;
				return;
			}
			keepAlive = HttpUtil.isKeepAlive(response);
			headers = jdkHeaders(response.headers());
			if (status / 100 != 2) {
				// an error body, like a plain one below, is read within the request's time: the timer runs on
				reading = Reading.ERROR;
			}
			else if (headers.firstValue("Content-Type").orElse("").contains("event-stream")) {
				// from here only the stream's silence ends it (the idle watchdog)
				if (firstByte != null) {
					firstByte.cancel(false);
				}
				reading = Reading.STREAM;
				StreamingResponse s = new StreamingResponse(idleTimeout, timer, errors, headers,
						this::abortSoon);
				stream = s;
				s.result().whenComplete((r, e) -> {
					if (e != null) {
						result.completeExceptionally(e);
					}
					else {
						result.complete(r);
					}
				});
			}
			else {
				// a server that ignored "stream": a plain completion
				reading = Reading.PLAIN;
			}
		}

		private void onContent(HttpContent content) {
			ByteBuf buf = content.content();
			switch (reading) {
				case STREAM -> {
					StreamingResponse s = stream;
					if (s != null && buf.isReadable()) {
						if (buf.nioBufferCount() == 1) {
							s.onBytes(buf.nioBuffer());
						}
						else {
							for (ByteBuffer b : buf.nioBuffers()) {
								s.onBytes(b);
							}
						}
					}
				}
				case ERROR, PLAIN -> keep(buf);
				default -> {
				}
			}
			if (content instanceof LastHttpContent) {
				end();
			}
		}

		/** Keeps the body's bytes; an error body beyond its bound is read and dropped. */
		private void keep(ByteBuf buf) {
			int n = buf.readableBytes();
			if (reading == Reading.ERROR) {
				n = Math.min(n, MAX_ERROR_BODY - keptLength);
			}
			if (n <= 0) {
				return;
			}
			if (keptLength + n > kept.length) {
				kept = Arrays.copyOf(kept, Math.max(keptLength + n, Math.max(256, kept.length * 2)));
			}
			buf.getBytes(buf.readerIndex(), kept, keptLength, n);
			keptLength += n;
		}

		private void end() {
			Channel ch = channel;
			if (reading != Reading.INFORMATIONAL && firstByte != null) {
				firstByte.cancel(false);
			}
			switch (reading) {
				case INFORMATIONAL -> {
					reading = Reading.HEADERS;
					return;
				}
				case STREAM -> {
					StreamingResponse s = stream;
					if (s != null) {
						s.onEnd();
					}
				}
				case ERROR -> result.completeExceptionally(errors.fromResponse(status, headers,
						Arrays.copyOf(kept, keptLength)));
				case PLAIN -> {
					try {
						result.complete(WireFormat.parseResponse(Arrays.copyOf(kept, keptLength)));
					}
					catch (RuntimeException e) {
						result.completeExceptionally(new RetriableChatException(status, "bad_response", e.getMessage(),
								null, null, e));
					}
				}
				default -> {
				}
			}
			channel = null;
			if (ch != null) {
				// a whole response was read: the connection is fit for the next one unless the exchange broke off
				boolean whole = reading == Reading.ERROR || !result.isCompletedExceptionally();
				release(ch, keepAlive && whole && written);
			}
		}

		/** The connection failed, or the request could not be sent. */
		void broken(Throwable failure) {
			StreamingResponse s = stream;
			if (s != null) {
				s.onBroken(failure);
			}
			else {
				result.completeExceptionally(failure);
			}
			abort();
		}

		/** {@link #abort} on the event loop, from any thread; a loop that has ended closed every connection. */
		private void abortSoon() {
			try {
				loop.execute(this::abort);
			}
			catch (RejectedExecutionException e) {
				// closed with the loop
			}
		}

		/** Ends the exchange: its connection is closed, never kept. */
		private void abort() {
			if (firstByte != null) {
				firstByte.cancel(false);
			}
			Channel ch = channel;
			channel = null;
			if (ch != null) {
				Connection connection = ch.pipeline().get(Connection.class);
				if (connection != null && connection.exchange == this) {
					connection.exchange = null;
				}
				ch.close();
			}
		}
	}
}
