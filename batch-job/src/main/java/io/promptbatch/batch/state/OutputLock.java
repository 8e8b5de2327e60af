package io.promptbatch.batch.state;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import org.jspecify.annotations.Nullable;

/**
 * One run per output file, whatever its state directory: an operating-system lock on
 * {@code <output>.lock}, held from before the run's first request until its summary and report are
 * written. The operating system releases it however the process ends; a clean end also removes the
 * file, and a killed process leaves it behind unlocked, to be taken by the next run.
 * <p>
 * Removing the file while another process may be opening it needs care: the holder deletes it before
 * it releases the lock, and a process that takes a lock checks that the path still names the file it
 * locked (by device and inode, read without opening the file), so a lock taken on a file deleted
 * meanwhile is noticed and given up.
 */
public final class OutputLock implements AutoCloseable {

	private final Path file;
	private final FileChannel channel;
	private final FileLock lock;

	private OutputLock(Path file, FileChannel channel, FileLock lock) {
		this.file = file;
		this.channel = channel;
		this.lock = lock;
	}

	/** The lock file of an output. */
	public static Path pathFor(Path output) {
		return output.resolveSibling(output.getFileName() + ".lock");
	}

	/**
	 * @throws IllegalStateException when another process writes this output
	 */
	public static OutputLock acquire(Path output) throws IOException {
		Path file = pathFor(output.toAbsolutePath());
		for (int attempt = 0; attempt < 10; attempt++) {
			Object before = fileKey(file);
			FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
			FileLock lock = StateLock.tryLock(channel);
			if (lock == null) {
				channel.close();
				throw new IllegalStateException("another promptbatch run is writing " + output + " (it holds " + file
						+ "); wait for it to finish, or give this run another --output");
			}
			// the path must still name the file that was opened: the open channel keeps that file, so a file
			// put in its place after a delete has another key
			Object after = fileKey(file);
			boolean same = after != null ? after.equals(before) : Files.exists(file); // no keys on this file system
			if (same) {
				return new OutputLock(file, channel, lock);
			}
			lock.release();
			channel.close();
		}
		throw new IllegalStateException("could not lock " + file + ": it keeps being replaced; is another program "
				+ "removing it?");
	}

	/**
	 * The file's identity (device and inode), read without opening it: on POSIX systems closing any
	 * descriptor of a file releases the process's locks on it, so the lock file is never opened twice.
	 */
	private static @Nullable Object fileKey(Path file) throws IOException {
		try {
			return Files.readAttributes(file, BasicFileAttributes.class).fileKey();
		}
		catch (NoSuchFileException e) {
			return null;
		}
	}

	@Override
	public void close() throws IOException {
		try {
			// deleted while still held, so that no other process can lock this file once it is gone
			Files.deleteIfExists(file);
		}
		finally {
			try {
				lock.release();
			}
			finally {
				channel.close();
			}
		}
	}
}
