package io.promptbatch.batch.state;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One process per state directory: an operating-system lock on {@code <state>/promptbatch.lock}. The
 * operating system releases it when the process ends, however it ends, so a killed run never leaves
 * a stale lock behind.
 */
public final class StateLock implements AutoCloseable {

	private final FileChannel channel;
	private final FileLock lock;

	private StateLock(FileChannel channel, FileLock lock) {
		this.channel = channel;
		this.lock = lock;
	}

	/**
	 * @throws IllegalStateException when another process holds the lock
	 */
	public static StateLock acquire(Path stateDir) throws IOException {
		Files.createDirectories(stateDir);
		Path file = stateDir.resolve("promptbatch.lock");
		FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
		FileLock lock = tryLock(channel);
		if (lock == null) {
			channel.close();
			throw new IllegalStateException("another promptbatch process is using the state directory " + stateDir
					+ "; wait for it to finish, or give this run its own --state-dir");
		}
		return new StateLock(channel, lock);
	}

	/** The channel's lock, or null when another process (or this one) holds it. */
	static @org.jspecify.annotations.Nullable FileLock tryLock(FileChannel channel) throws IOException {
		try {
			return channel.tryLock();
		}
		catch (OverlappingFileLockException e) {
			return null;
		}
	}

	@Override
	public void close() throws IOException {
		lock.release();
		channel.close();
	}
}
