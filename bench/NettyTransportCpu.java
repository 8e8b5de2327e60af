import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.*;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.*;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.*;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Benchmark 7's transport alone, as {@code TransportCpu} measures the JDK and Apache clients, for a Netty client
 * of the same shape: one event-loop thread, {@code HttpClientCodec}, the native epoll transport or NIO, a connection
 * per request, counting the line feeds of the bytes and nothing more. Usage (BENCHMARKS.md): {@code java -cp
 * NETTY_JARS:DIR NettyTransportCpu epoll|nio URL REQUESTS CONCURRENT}.
 */
public class NettyTransportCpu {
	public static void main(String[] a) throws Exception {
		boolean epoll = a[0].equals("epoll");
		URI u = URI.create(a[1]);
		int n = Integer.parseInt(a[2]);
		int conc = Integer.parseInt(a[3]);
		AtomicLong lines = new AtomicLong();
		AtomicLong failed = new AtomicLong();
		Semaphore slots = new Semaphore(conc);
		CountDownLatch done = new CountDownLatch(n);
		EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
		Bootstrap b = new Bootstrap().group(group).channel(epoll ? EpollSocketChannel.class : NioSocketChannel.class)
			.handler(new ChannelInitializer<Channel>() {
				protected void initChannel(Channel ch) {
					ch.pipeline().addLast(new HttpClientCodec());
					ch.pipeline().addLast(new SimpleChannelInboundHandler<HttpObject>() {
						long seen;
						protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
							if (msg instanceof HttpContent c) {
								ByteBuf buf = c.content();
								int from = buf.readerIndex(), to = buf.writerIndex();
								for (int i = from; i < to; i++) if (buf.getByte(i) == '\n') seen++;
								if (msg instanceof LastHttpContent) {
									lines.addAndGet(seen);
									ctx.close();
									slots.release();
									done.countDown();
								}
							}
						}
						public void exceptionCaught(ChannelHandlerContext ctx, Throwable t) {
							failed.incrementAndGet(); ctx.close(); slots.release(); done.countDown();
						}
					});
				}
			});
		for (int i = 0; i < n; i++) {
			byte[] body = ("{\"model\":\"kimi-k2.5\",\"messages\":[{\"role\":\"user\",\"content\":\"q" + i
					+ "\"}],\"stream\":true,\"stream_options\":{\"include_usage\":true}}").getBytes(StandardCharsets.UTF_8);
			slots.acquire();
			b.connect(u.getHost(), u.getPort()).addListener((ChannelFutureListener) f -> {
				if (!f.isSuccess()) { failed.incrementAndGet(); slots.release(); done.countDown(); return; }
				FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, u.getRawPath(), Unpooled.wrappedBuffer(body));
				req.headers().set(HttpHeaderNames.HOST, u.getHost() + ":" + u.getPort())
					.set(HttpHeaderNames.CONTENT_TYPE, "application/json").set(HttpHeaderNames.ACCEPT, "text/event-stream")
					.setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
				f.channel().writeAndFlush(req);
			});
		}
		done.await();
		System.out.println(a[0] + " lines " + lines.get() + " failed " + failed.get());
		System.exit(0);
	}
}
