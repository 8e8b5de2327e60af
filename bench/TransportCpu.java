import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Flow;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.hc.client5.http.async.methods.AbstractBinResponseConsumer;
import org.apache.hc.client5.http.impl.async.CloseableHttpAsyncClient;
import org.apache.hc.client5.http.impl.async.HttpAsyncClients;
import org.apache.hc.client5.http.impl.nio.PoolingAsyncClientConnectionManagerBuilder;
import org.apache.hc.core5.concurrent.FutureCallback;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.nio.support.AsyncRequestBuilder;
import org.apache.hc.core5.http.nio.entity.AsyncEntityProducers;
import org.apache.hc.core5.reactor.IOReactorConfig;

/**
 * Benchmark 7 without promptbatch: the CPU of the HTTP transport alone for streamed answers, the JDK client (direct
 * executor, as promptbatch runs it) Apache httpclient5 async (one I/O thread) or the JDK's blocking {@code HttpURLConnection}, a thread per stream, each counting the line feeds of the
 * bytes it is given and nothing more. Usage (BENCHMARKS.md): {@code java -cp CLASSPATH TransportCpu jdk|apache|blocking URL
 * REQUESTS CONCURRENT}.
 */
public class TransportCpu {
	static final AtomicLong lines = new AtomicLong();

	static long count(ByteBuffer b) {
		long n = 0;
		while (b.hasRemaining()) {
			if (b.get() == '\n') {
				n++;
			}
		}
		return n;
	}

	public static void main(String[] a) throws Exception {
		String mode = a[0];
		String url = a[1];
		int n = Integer.parseInt(a[2]);
		int conc = Integer.parseInt(a[3]);
		Semaphore slots = new Semaphore(conc);
		CountDownLatch done = new CountDownLatch(n);
		AtomicLong failed = new AtomicLong();
		CloseableHttpAsyncClient apache = null;
		HttpClient jdk = null;
		if (mode.equals("apache")) {
			apache = HttpAsyncClients.custom()
				.setIOReactorConfig(IOReactorConfig.custom().setIoThreadCount(1).build())
				.setConnectionManager(PoolingAsyncClientConnectionManagerBuilder.create().setMaxConnTotal(conc)
					.setMaxConnPerRoute(conc).build())
				.build();
			apache.start();
		}
		else {
			jdk = HttpClient.newBuilder().executor(Runnable::run).version(HttpClient.Version.HTTP_1_1).build();
		}
		java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(conc);
		for (int i = 0; i < n; i++) {
			String body = "{\"model\":\"kimi-k2.5\",\"messages\":[{\"role\":\"user\",\"content\":\"q" + i
					+ "\"}],\"stream\":true,\"stream_options\":{\"include_usage\":true}}";
			slots.acquire();
			Runnable end = () -> {
				slots.release();
				done.countDown();
			};
			if (mode.equals("blocking")) {
				final String b = body;
				pool.execute(() -> {
					try {
						java.net.HttpURLConnection c = (java.net.HttpURLConnection) new java.net.URL(url).openConnection();
						c.setRequestMethod("POST");
						c.setDoOutput(true);
						c.setRequestProperty("Content-Type", "application/json");
						c.setRequestProperty("Accept", "text/event-stream");
						c.getOutputStream().write(b.getBytes(java.nio.charset.StandardCharsets.UTF_8));
						long seen = 0;
						try (java.io.InputStream in = c.getInputStream()) {
							byte[] buf = new byte[8192];
							int r;
							while ((r = in.read(buf)) >= 0) {
								for (int k = 0; k < r; k++) {
									if (buf[k] == '\n') {
										seen++;
									}
								}
							}
						}
						lines.addAndGet(seen);
					}
					catch (Exception e) {
						failed.incrementAndGet();
					}
					end.run();
				});
			}
			else if (apache != null) {
				apache.execute(AsyncRequestBuilder.post(url).setEntity(AsyncEntityProducers.create(body, ContentType.APPLICATION_JSON)).addHeader("Accept", "text/event-stream").build(),
						new AbstractBinResponseConsumer<Long>() {
							long seen;

							@Override
							protected void start(org.apache.hc.core5.http.HttpResponse response, ContentType contentType) {
							}

							@Override
							protected int capacityIncrement() {
								return Integer.MAX_VALUE;
							}

							@Override
							protected void data(ByteBuffer src, boolean endOfStream) {
								seen += count(src);
							}

							@Override
							protected Long buildResult() {
								return seen;
							}

							@Override
							public void releaseResources() {
							}
						}, new FutureCallback<Long>() {
							public void completed(Long r) {
								lines.addAndGet(r);
								end.run();
							}

							public void failed(Exception e) {
								failed.incrementAndGet();
								end.run();
							}

							public void cancelled() {
								failed.incrementAndGet();
								end.run();
							}
						});
			}
			else {
				HttpRequest req = HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
					.header("Accept", "text/event-stream").POST(HttpRequest.BodyPublishers.ofString(body)).build();
				jdk.sendAsync(req, info -> new HttpResponse.BodySubscriber<Long>() {
					final CompletableFuture<Long> result = new CompletableFuture<>();
					long seen;

					public CompletionStage<Long> getBody() {
						return result;
					}

					public void onSubscribe(Flow.Subscription s) {
						s.request(Long.MAX_VALUE);
					}

					public void onNext(List<ByteBuffer> items) {
						for (ByteBuffer b : items) {
							seen += count(b);
						}
					}

					public void onError(Throwable t) {
						result.completeExceptionally(t);
					}

					public void onComplete() {
						result.complete(seen);
					}
				}).whenComplete((r, e) -> {
					if (e != null) {
						failed.incrementAndGet();
					}
					else {
						lines.addAndGet(r.body());
					}
					end.run();
				});
			}
		}
		done.await();
		System.out.println(mode + " lines " + lines.get() + " failed " + failed.get());
		System.exit(0);
	}
}
