package io.promptbatch.core.prompt;

/**
 * The ids seen so far, in 12 bytes per id whatever their length: a 64-bit hash of each id and the
 * line it was first seen on, in an open-addressing table. Two different ids share a hash with
 * probability about n²/2⁶⁵ (3·10⁻⁸ for a million ids); such a pair would be reported as a duplicate.
 */
final class IdSet {

	private long[] hashes = new long[1024];
	private int[] lines = new int[1024];
	private int size;

	/** Records the id; returns the line it was first seen on, or 0 when it is new. */
	long addOrFirstLine(String id, long line) {
		long h = hash(id);
		int mask = hashes.length - 1;
		int i = (int) (h ^ (h >>> 32)) & mask;
		while (hashes[i] != 0) {
			if (hashes[i] == h) {
				return lines[i];
			}
			i = (i + 1) & mask;
		}
		hashes[i] = h;
		lines[i] = (int) Math.min(line, Integer.MAX_VALUE);
		if (++size * 2 > hashes.length) {
			grow();
		}
		return 0;
	}

	private void grow() {
		long[] oldHashes = hashes;
		int[] oldLines = lines;
		hashes = new long[oldHashes.length * 2];
		lines = new int[oldHashes.length * 2];
		int mask = hashes.length - 1;
		for (int j = 0; j < oldHashes.length; j++) {
			long h = oldHashes[j];
			if (h != 0) {
				int i = (int) (h ^ (h >>> 32)) & mask;
				while (hashes[i] != 0) {
					i = (i + 1) & mask;
				}
				hashes[i] = h;
				lines[i] = oldLines[j];
			}
		}
	}

	/** FNV-1a over the UTF-16 chars, then a 64-bit finaliser; never 0 (the empty marker). */
	static long hash(String id) {
		long h = 0xcbf29ce484222325L;
		for (int i = 0; i < id.length(); i++) {
			h ^= id.charAt(i);
			h *= 0x100000001b3L;
		}
		h ^= h >>> 33;
		h *= 0xff51afd7ed558ccdL;
		h ^= h >>> 33;
		h *= 0xc4ceb9fe1a85ec53L;
		h ^= h >>> 33;
		return h == 0 ? 1 : h;
	}
}
