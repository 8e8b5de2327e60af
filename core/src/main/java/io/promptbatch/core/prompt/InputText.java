package io.promptbatch.core.prompt;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/**
 * An input file opened as text. Its first bytes say what it is: a byte-order mark names the encoding
 * (UTF-8, or UTF-16 as Excel's "Unicode text" saves it); without one it must be UTF-8. A workbook
 * (a zip file, or an old OLE2 {@code .xls}) or a file with NUL bytes is not text and is refused, saying
 * how to save it as CSV.
 *
 * @param reader the text, after the byte-order mark, decoded strictly (a bad byte is an error, not a
 *     replacement character)
 * @param charset the encoding read
 * @param assumed what the encoding was taken from when it is not plain UTF-8 (e.g. "UTF-16LE (byte-order
 *     mark)"), or null
 */
record InputText(Reader reader, Charset charset, @Nullable String assumed) {

	private static final int SNIFF = 512;

	/**
	 * Opens {@code file}.
	 * @param kind what the file should hold, for messages ("CSV", "JSON Lines")
	 * @throws InputException when the file is missing, unreadable or not text
	 */
	static InputText open(Path file, String kind) {
		if (Files.isDirectory(file)) {
			throw new InputException(file, 0, "is a directory; --input takes a .csv or .jsonl file");
		}
		InputStream in;
		try {
			in = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
		}
		catch (NoSuchFileException e) {
			throw new InputException(file, 0, "input file not found; check the path given to --input");
		}
		catch (IOException e) {
			throw new InputException(file, 0, "cannot read the input file (" + e.getMessage() + ")", e);
		}
		try {
			byte[] head = new byte[SNIFF];
			in.mark(SNIFF);
			int n = in.readNBytes(head, 0, SNIFF);
			in.reset();
			refuseWhatIsNotText(file, kind, head, n);
			Charset charset = StandardCharsets.UTF_8;
			String assumed = null;
			int bom = 0;
			if (starts(head, n, 0xEF, 0xBB, 0xBF)) {
				bom = 3;
			}
			else if (starts(head, n, 0xFF, 0xFE)) {
				charset = StandardCharsets.UTF_16LE;
				assumed = "UTF-16LE (byte-order mark)";
				bom = 2;
			}
			else if (starts(head, n, 0xFE, 0xFF)) {
				charset = StandardCharsets.UTF_16BE;
				assumed = "UTF-16BE (byte-order mark)";
				bom = 2;
			}
			else if (indexOfNul(head, n) >= 0) {
				throw new InputException(file, 0, "has NUL bytes, so it is not UTF-8 text: it may be UTF-16 without a "
						+ "byte-order mark, or not text at all; save it as \"CSV UTF-8\" (or convert it, e.g. "
						+ "iconv -f UTF-16LE -t UTF-8 in.csv > out.csv)");
			}
			in.skipNBytes(bom);
			CharsetDecoder decoder = charset.newDecoder()
				.onMalformedInput(CodingErrorAction.REPORT)
				.onUnmappableCharacter(CodingErrorAction.REPORT);
			return new InputText(new InputStreamReader(in, decoder), charset, assumed);
		}
		catch (IOException e) {
			close(in);
			throw new InputException(file, 0, "cannot read the input file (" + e.getMessage() + ")", e);
		}
		catch (RuntimeException e) {
			close(in);
			throw e;
		}
	}

	/** The message for a read of this text that failed: bytes that are not in its encoding, or an I/O error. */
	InputException unreadable(Path file, long line, IOException e) {
		if (!(e instanceof CharacterCodingException)) {
			return new InputException(file, line, "cannot read the input file (" + e.getMessage() + ")", e);
		}
		if (!charset.equals(StandardCharsets.UTF_8)) {
			return new InputException(file, line, "the file starts with a " + charset.name() + " byte-order mark but "
					+ "is not " + charset.name() + " text at or before this line; save it again as \"CSV UTF-8\"", e);
		}
		// readers decode ahead of the record they parse: find the line of the first bad byte itself
		long bad = firstLineNotUtf8(file);
		return new InputException(file, bad > 0 ? bad : line, "the file is not UTF-8 (it may be GBK or another legacy "
				+ "encoding, as Excel saves Chinese text); convert it, e.g. iconv -f GBK -t UTF-8 in.csv > out.csv, "
				+ "or save as \"CSV UTF-8\"", e);
	}

	private static void refuseWhatIsNotText(Path file, String kind, byte[] head, int n) {
		String save = "; in Excel use File > Save As and choose \"CSV UTF-8 (Comma delimited) (.csv)\", then pass that file";
		if (starts(head, n, 'P', 'K', 0x03, 0x04) || starts(head, n, 'P', 'K', 0x05, 0x06)) {
			throw new InputException(file, 0, "is an Excel workbook (a zip file, as .xlsx files are), not " + kind
					+ " text" + save);
		}
		if (starts(head, n, 0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1)) {
			throw new InputException(file, 0, "is an old Excel workbook (.xls, an OLE2 file), not " + kind + " text"
					+ save);
		}
	}

	private static boolean starts(byte[] head, int n, int... magic) {
		if (n < magic.length) {
			return false;
		}
		for (int i = 0; i < magic.length; i++) {
			if ((head[i] & 0xFF) != magic[i]) {
				return false;
			}
		}
		return true;
	}

	private static int indexOfNul(byte[] head, int n) {
		for (int i = 0; i < n; i++) {
			if (head[i] == 0) {
				return i;
			}
		}
		return -1;
	}

	private static void close(InputStream in) {
		try {
			in.close();
		}
		catch (IOException ignored) {
			// already failing
		}
	}

	/** The line of the first byte sequence that is not UTF-8, or 0 when there is none. */
	static long firstLineNotUtf8(Path file) {
		try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
			long line = 1;
			int continuation = 0;
			int b;
			while ((b = in.read()) != -1) {
				if (continuation > 0) {
					if ((b & 0xC0) != 0x80) {
						return line;
					}
					continuation--;
				}
				else if (b == '\n') {
					line++;
				}
				else if (b >= 0x80) {
					if (b >= 0xC2 && b <= 0xDF) {
						continuation = 1;
					}
					else if (b >= 0xE0 && b <= 0xEF) {
						continuation = 2;
					}
					else if (b >= 0xF0 && b <= 0xF4) {
						continuation = 3;
					}
					else {
						return line;
					}
				}
			}
			return continuation > 0 ? line : 0;
		}
		catch (IOException e) {
			return 0;
		}
	}
}
