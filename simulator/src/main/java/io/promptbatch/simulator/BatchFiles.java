package io.promptbatch.simulator;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/** The files of the simulator's Batch API, in memory for the simulator's life: uploads and batch results. */
final class BatchFiles {

	/** Files the client uploads for batches. */
	static final String BATCH = "batch";

	/** Output and error files the simulator writes. */
	static final String BATCH_OUTPUT = "batch_output";

	/**
	 * One stored file.
	 *
	 * @param createdAt epoch seconds
	 */
	record StoredFile(String id, String filename, String purpose, byte[] content, long createdAt) {

		ObjectNode toJson() {
			ObjectNode file = JsonNodeFactory.instance.objectNode();
			file.put("id", id);
			file.put("object", "file");
			file.put("bytes", content.length);
			file.put("created_at", createdAt);
			file.put("filename", filename);
			file.put("purpose", purpose);
			return file;
		}
	}

	private final Map<String, StoredFile> files = new LinkedHashMap<>();
	private final AtomicLong ids = new AtomicLong();

	/** Stores a file and gives it its id. */
	StoredFile store(String filename, String purpose, byte[] content) {
		StoredFile file = new StoredFile(String.format("file-sim%06d", ids.incrementAndGet()), filename, purpose,
				content, System.currentTimeMillis() / 1000);
		synchronized (files) {
			files.put(file.id(), file);
		}
		return file;
	}

	@Nullable StoredFile get(String id) {
		synchronized (files) {
			return files.get(id);
		}
	}

	/** The files of that purpose (all with null), newest first. */
	List<StoredFile> list(@Nullable String purpose) {
		List<StoredFile> list = new ArrayList<>();
		synchronized (files) {
			for (StoredFile file : files.values()) {
				if (purpose == null || purpose.equals(file.purpose())) {
					list.add(0, file);
				}
			}
		}
		return list;
	}

	/** Removes a file; false when there was none with that id. */
	boolean delete(String id) {
		synchronized (files) {
			return files.remove(id) != null;
		}
	}
}
