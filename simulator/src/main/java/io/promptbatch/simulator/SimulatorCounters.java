package io.promptbatch.simulator;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/** What the simulator has seen: requests, answers by status, and the peak number in flight. */
public final class SimulatorCounters {

	private final AtomicLong requests = new AtomicLong();
	private final AtomicInteger inFlight = new AtomicInteger();
	private final AtomicInteger peakInFlight = new AtomicInteger();
	private final Map<Integer, AtomicLong> byStatus = new ConcurrentHashMap<>();
	private final AtomicLong resets = new AtomicLong();
	private final AtomicLong streamErrors = new AtomicLong();
	private final AtomicLong streamChunks = new AtomicLong();
	private final AtomicLong hangs = new AtomicLong();
	private final AtomicLong latencyNanos = new AtomicLong();
	private final AtomicLong tokenCounts = new AtomicLong();

	private final AtomicLong filesUploaded = new AtomicLong();
	private final AtomicLong batchesCreated = new AtomicLong();
	private final AtomicLong batchesCancelled = new AtomicLong();
	private final AtomicLong fileDownloads = new AtomicLong();

	void fileUploaded() {
		filesUploaded.incrementAndGet();
	}

	void batchCreated() {
		batchesCreated.incrementAndGet();
	}

	void batchCancelled() {
		batchesCancelled.incrementAndGet();
	}

	void fileDownloaded() {
		fileDownloads.incrementAndGet();
	}

	/** Files stored by {@code POST /files} (refused uploads are not counted). */
	public long filesUploaded() {
		return filesUploaded.get();
	}

	/** Batches created by {@code POST /batches} (refused requests are not counted). */
	public long batchesCreated() {
		return batchesCreated.get();
	}

	/** Batches whose cancel was accepted by {@code POST /batches/{id}/cancel}. */
	public long batchesCancelled() {
		return batchesCancelled.get();
	}

	/** Contents sent by {@code GET /files/{id}/content}. */
	public long fileDownloads() {
		return fileDownloads.get();
	}

	void tokenCounted() {
		tokenCounts.incrementAndGet();
	}

	/** Requests to the token-count endpoint (not counted as chat requests). */
	public long tokenCounts() {
		return tokenCounts.get();
	}

	private final AtomicLong firstRequestEpochMillis = new AtomicLong();

	/** When the first chat request arrived (milliseconds since the epoch), or 0 before any. */
	public long firstRequestEpochMillis() {
		return firstRequestEpochMillis.get();
	}

	private final AtomicLong lastResponseEpochMillis = new AtomicLong();

	/** When the last response was sent (milliseconds since the epoch), or 0 before any. */
	public long lastResponseEpochMillis() {
		return lastResponseEpochMillis.get();
	}

	// The in-flight count integrated over time (request-nanoseconds), to tell how full the client kept its
	// slots while it still had requests to send (first arrival to last arrival) from the drain after it.
	private final Object area = new Object();
	private long areaNanos;
	private boolean counting;
	private long areaChangedNanos;
	private long firstArrivalNanos;
	private long lastArrivalNanos;
	private long areaAtLastArrivalNanos;

	private void countArea(long now, int inFlightBefore) {
		if (counting) {
			areaNanos += inFlightBefore * (now - areaChangedNanos);
		}
		areaChangedNanos = now;
	}

	/**
	 * The mean number of requests in flight from the first arrival to the last one: while the client still
	 * had requests to send, a client that never idles keeps its concurrency in flight all that time.
	 */
	public double meanInFlightWhileSending() {
		synchronized (area) {
			long span = lastArrivalNanos - firstArrivalNanos;
			return span <= 0 ? 0 : (double) areaAtLastArrivalNanos / span;
		}
	}

	/** Milliseconds from the first arrival to the last one. */
	public double sendingMillis() {
		synchronized (area) {
			return (lastArrivalNanos - firstArrivalNanos) / 1e6;
		}
	}

	private void departed() {
		synchronized (area) {
			countArea(System.nanoTime(), inFlight.getAndDecrement());
		}
	}

	void arrived() {
		firstRequestEpochMillis.compareAndSet(0, System.currentTimeMillis());
		requests.incrementAndGet();
		int now;
		synchronized (area) {
			long t = System.nanoTime();
			now = inFlight.incrementAndGet();
			if (!counting) {
				counting = true;
				firstArrivalNanos = t;
				areaChangedNanos = t;
			}
			countArea(t, now - 1);
			lastArrivalNanos = t;
			areaAtLastArrivalNanos = areaNanos;
		}
		peakInFlight.accumulateAndGet(now, Math::max);
	}

	void finished(int status, long nanos) {
		departed();
		byStatus.computeIfAbsent(status, s -> new AtomicLong()).incrementAndGet();
		latencyNanos.addAndGet(nanos);
		lastResponseEpochMillis.accumulateAndGet(System.currentTimeMillis(), Math::max);
	}

	void reset() {
		departed();
		resets.incrementAndGet();
	}

	void streamFailed() {
		streamErrors.incrementAndGet();
	}

	void chunkSent() {
		streamChunks.incrementAndGet();
	}

	void hung() {
		hangs.incrementAndGet();
	}

	void hangReleased() {
		departed();
	}

	/** Every request that reached the chat-completions endpoint, answered or not. */
	public long requests() {
		return requests.get();
	}

	public int inFlight() {
		return inFlight.get();
	}

	/** The largest number of requests that were in flight at the same moment. */
	public int peakInFlight() {
		return peakInFlight.get();
	}

	/** Responses sent with this HTTP status. */
	public long status(int status) {
		AtomicLong n = byStatus.get(status);
		return n == null ? 0 : n.get();
	}

	/** Connections cut mid-response. */
	public long resets() {
		return resets.get();
	}

	/** Streams that sent an error event in the middle and ended without {@code [DONE]}. */
	public long streamErrors() {
		return streamErrors.get();
	}

	/** Chunks sent in streams ({@code data:} events of a chat completion chunk, not {@code [DONE]} nor an error event). */
	public long streamChunks() {
		return streamChunks.get();
	}

	/** Requests never answered. */
	public long hangs() {
		return hangs.get();
	}

	/** Sum of the time between arrival and response over all answered requests, in milliseconds. */
	public double totalLatencyMillis() {
		return latencyNanos.get() / 1e6;
	}

	/** Forgets everything counted so far (the peak starts again from the current in-flight count). */
	public void clear() {
		requests.set(0);
		byStatus.clear();
		resets.set(0);
		streamErrors.set(0);
		streamChunks.set(0);
		hangs.set(0);
		latencyNanos.set(0);
		peakInFlight.set(inFlight.get());
		firstRequestEpochMillis.set(0);
		lastResponseEpochMillis.set(0);
		filesUploaded.set(0);
		batchesCreated.set(0);
		batchesCancelled.set(0);
		fileDownloads.set(0);
		synchronized (area) {
			areaNanos = 0;
			counting = false;
			areaChangedNanos = 0;
			firstArrivalNanos = 0;
			lastArrivalNanos = 0;
			areaAtLastArrivalNanos = 0;
		}
	}

	String toJson() {
		Map<Integer, Long> statuses = new TreeMap<>();
		byStatus.forEach((k, v) -> statuses.put(k, v.get()));
		StringBuilder sb = new StringBuilder();
		sb.append("{\"requests\":").append(requests()).append(",\"in_flight\":").append(inFlight())
			.append(",\"peak_in_flight\":").append(peakInFlight()).append(",\"resets\":").append(resets())
			.append(",\"stream_errors\":").append(streamErrors())
			.append(",\"stream_chunks\":").append(streamChunks())
			.append(",\"hangs\":").append(hangs()).append(",\"first_request_epoch_ms\":")
			.append(firstRequestEpochMillis()).append(",\"last_response_epoch_ms\":")
			.append(lastResponseEpochMillis()).append(",\"total_latency_ms\":")
			.append(String.format(java.util.Locale.ROOT, "%.3f", totalLatencyMillis()))
			.append(",\"sending_ms\":").append(String.format(java.util.Locale.ROOT, "%.3f", sendingMillis()))
			.append(",\"mean_in_flight_while_sending\":")
			.append(String.format(java.util.Locale.ROOT, "%.3f", meanInFlightWhileSending()))
			.append(",\"files_uploaded\":").append(filesUploaded())
			.append(",\"batches_created\":").append(batchesCreated())
			.append(",\"batches_cancelled\":").append(batchesCancelled())
			.append(",\"file_downloads\":").append(fileDownloads())
			.append(",\"by_status\":{");
		boolean first = true;
		for (Map.Entry<Integer, Long> e : statuses.entrySet()) {
			if (!first) {
				sb.append(',');
			}
			first = false;
			sb.append('"').append(e.getKey()).append("\":").append(e.getValue());
		}
		return sb.append("}}").toString();
	}
}
