package dev.holdfast.repository;

import java.io.IOException;
import java.io.InputStream;

/**
 * Splits a stream into the content-defined chunks restic makes of a file (restic/chunker v0.4.0
 * {@code chunker.go}, used by restic 0.14), so the same polynomial and bytes give the same data
 * blobs and deduplicate against restic.
 *
 * <p>A chunk ends after the first byte at which the Rabin fingerprint of the last 64 bytes, taken
 * modulo the polynomial, has its low 20 bits zero, but never before {@link #MIN_SIZE} and at the
 * latest at {@link #MAX_SIZE}; the end of the stream ends the last chunk. Each instance holds one
 * buffer (of up to {@link #MAX_SIZE} bytes, grown as chunks need) and may split any number of streams one after the other; it
 * is not thread-safe.
 */
public final class Chunker {

  /** The shortest chunk, except for the last one of a stream. */
  public static final int MIN_SIZE = 512 * 1024;
  /** The longest chunk. */
  public static final int MAX_SIZE = 8 * 1024 * 1024;

  /** Receives each chunk in stream order. */
  @FunctionalInterface
  public interface ChunkConsumer {
    /**
     * Takes {@code buf[off, off + len)}, which holds one whole chunk; the chunker overwrites the
     * buffer once this returns, so keep a copy of anything needed later.
     */
    void chunk(byte[] buf, int off, int len) throws IOException;
  }

  private static final int WINDOW_SIZE = 64;
  private static final long SPLIT_MASK = (1L << 20) - 1; // a cut every 2^20 bytes on average
  // restic resets its window to a single byte 1 before every chunk (reset() does slide(1)) and does
  // not hash the first MIN_SIZE - 64 bytes of a chunk; by the first byte that can end a chunk
  // (index MIN_SIZE - 1) that 1 has slid out, and the fingerprint is the window's bytes' alone.
  private static final int FIRST_CUTTABLE = MIN_SIZE - 1;
  /** Independent fingerprint chains in {@link #scanLanes}. */
  private static final int LANES = 4;
  /** A range shorter than {@code LANES} times this is scanned on one chain (a lane's 64-byte warm-up would not pay). */
  private static final int LANE_MIN = 4096;
  // Reads this much at a time, so what follows a cut and must move to the front stays small.
  private static final int READ_SIZE = 256 * 1024;
  /** The buffer a chunker starts with; it doubles up to {@link #MAX_SIZE} for a chunk that needs it. */
  static final int FIRST_BUFFER = 1 << 20;

  private final long polynomial;
  private final int polShift;
  // outTable[b] = b followed by 63 zero bytes, mod pol: XOR it in to drop b from the window.
  private final long[] outTable = new long[256];
  // modTable[t] = (t * x^deg mod pol) | t * x^deg: one XOR clears the 8 bits that a shift pushed
  // above the degree and adds their remainder.
  private final long[] modTable = new long[256];
  private byte[] buffer;

  /**
   * A chunker for restic's {@code chunker_polynomial} (see {@link Polynomial#parseHex}). Like
   * restic's chunker it checks only the degree; restic refuses a repository whose polynomial is
   * not irreducible ({@link Polynomial#isIrreducible}) before it gets here.
   *
   * @throws IllegalArgumentException unless the degree is between 8 and 53 (restic's chunker
   *     needs the 8 bits above the degree in a 64-bit word and panics beyond 53)
   */
  public Chunker(long polynomial) {
    int degree = Polynomial.degree(polynomial);
    if (degree < 8 || degree > Polynomial.CHUNKER_DEGREE) {
      throw new IllegalArgumentException("chunker polynomial " + new Polynomial(polynomial)
          + " has degree " + degree + ", needs 8 to " + Polynomial.CHUNKER_DEGREE);
    }
    this.polynomial = polynomial;
    this.polShift = degree - 8;
    for (int b = 0; b < 256; b++) {
      long h = appendByte(0, b);
      for (int i = 1; i < WINDOW_SIZE; i++) {
        h = appendByte(h, 0);
      }
      outTable[b] = h;
      modTable[b] = Polynomial.mod((long) b << degree, polynomial) | ((long) b << degree);
    }
  }

  /** The polynomial this chunker fingerprints with. */
  public long polynomial() {
    return polynomial;
  }

  /**
   * Reads {@code in} to its end and hands every chunk to {@code consumer}, in order; an empty
   * stream has no chunk. Does not close {@code in}.
   */
  public void split(InputStream in, ChunkConsumer consumer) throws IOException {
    if (buffer == null) {
      // grown to MAX_SIZE only when a chunk needs it: a run that chunks small files (a re-run's
      // changed files) keeps 7 MiB less resident per reader
      buffer = new byte[FIRST_BUFFER];
    }
    byte[] buf = buffer;
    int filled = 0; // buf[0, filled) is read; the current chunk starts at buf[0]
    int next = FIRST_CUTTABLE; // the next byte that may end the chunk
    for (;;) {
      if (filled > next) {
        int cut = scan(buf, next, filled);
        if (cut < 0) {
          next = filled;
        } else {
          consumer.chunk(buf, 0, cut);
          filled -= cut;
          System.arraycopy(buf, cut, buf, 0, filled);
          next = FIRST_CUTTABLE;
          continue;
        }
      }
      // filled < MAX_SIZE here: a full buffer always holds a cut.
      if (filled == buf.length) {
        buf = java.util.Arrays.copyOf(buf, Math.min(MAX_SIZE, 2 * buf.length));
        buffer = buf;
      }
      int n = in.read(buf, filled, Math.min(READ_SIZE, buf.length - filled));
      if (n < 0) {
        break;
      }
      filled += n;
    }
    if (filled > 0) {
      consumer.chunk(buf, 0, filled);
    }
  }

  /**
   * Returns the length of the chunk (starting at {@code buf[0]}) if it ends after a byte of {@code
   * buf[from, to)}, or -1 ({@code MIN_SIZE - 1 <= from < to <= MAX_SIZE}). A chunk ends after byte
   * {@code i >= MIN_SIZE - 1} when the fingerprint of the 64 bytes ending at {@code i} has its low
   * 20 bits zero, or at {@code MAX_SIZE}.
   *
   * <p>That fingerprint depends on those 64 bytes alone (restic's reset window has slid out by
   * {@code MIN_SIZE}), so it can be computed for any byte without the ones before the window. The
   * rolling update is one long chain of dependent table look-ups (the next look-up's index is the
   * last one's result), which keeps a core mostly waiting: {@link #LANES} chains over as many
   * stretches of the range, advanced in one loop, keep it busy (about 3x the bytes per second on
   * one chain). The first cut is the earliest over all lanes.
   */
  private int scan(byte[] buf, int from, int to) {
    int n = to - from;
    int cut;
    if (n < LANES * LANE_MIN) {
      cut = scanSerial(buf, from, to, warm(buf, from));
    } else {
      cut = scanLanes(buf, from, to, n / LANES);
    }
    if (cut < 0 && to == MAX_SIZE) {
      return MAX_SIZE;
    }
    return cut;
  }

  /** Lanes of {@code len} bytes from {@code from}; the last lane also takes what {@code LANES * len} leaves over. */
  private int scanLanes(byte[] buf, int from, int to, int len) {
    final long[] out = outTable;
    final long[] mod = modTable;
    final int shift = polShift;
    final int s0 = from;
    final int s1 = from + len;
    final int s2 = from + 2 * len;
    final int s3 = from + 3 * len;
    long d0 = warm(buf, s0);
    long d1 = warm(buf, s1);
    long d2 = warm(buf, s2);
    long d3 = warm(buf, s3);
    int j = 0;
    for (; j < len; j++) {
      d0 ^= out[buf[s0 + j - WINDOW_SIZE] & 0xff];
      d1 ^= out[buf[s1 + j - WINDOW_SIZE] & 0xff];
      d2 ^= out[buf[s2 + j - WINDOW_SIZE] & 0xff];
      d3 ^= out[buf[s3 + j - WINDOW_SIZE] & 0xff];
      d0 = ((d0 << 8) | (buf[s0 + j] & 0xff)) ^ mod[(int) (d0 >>> shift)];
      d1 = ((d1 << 8) | (buf[s1 + j] & 0xff)) ^ mod[(int) (d1 >>> shift)];
      d2 = ((d2 << 8) | (buf[s2 + j] & 0xff)) ^ mod[(int) (d2 >>> shift)];
      d3 = ((d3 << 8) | (buf[s3 + j] & 0xff)) ^ mod[(int) (d3 >>> shift)];
      if ((d0 & SPLIT_MASK) == 0 || (d1 & SPLIT_MASK) == 0 || (d2 & SPLIT_MASK) == 0 || (d3 & SPLIT_MASK) == 0) {
        break;
      }
    }
    if (j == len) { // no lane has a cut in its first len bytes: only the last lane has bytes left
      return scanSerial(buf, s3 + len, to, d3);
    }
    // A lane has a cut after byte s + j: an earlier lane may still have one after its byte j.
    int next = j + 1;
    if ((d0 & SPLIT_MASK) == 0) {
      return s0 + next;
    }
    int c = scanSerial(buf, s0 + next, s1, d0);
    if (c >= 0 || (d1 & SPLIT_MASK) == 0) {
      return c >= 0 ? c : s1 + next;
    }
    c = scanSerial(buf, s1 + next, s2, d1);
    if (c >= 0 || (d2 & SPLIT_MASK) == 0) {
      return c >= 0 ? c : s2 + next;
    }
    c = scanSerial(buf, s2 + next, s3, d2);
    return c >= 0 ? c : s3 + next;
  }

  /**
   * Continues one chain: {@code d} is the fingerprint of the 64 bytes before {@code buf[from]};
   * returns the length of the chunk if it ends after a byte of {@code buf[from, to)}, or -1.
   */
  private int scanSerial(byte[] buf, int from, int to, long d) {
    final long[] out = outTable;
    final long[] mod = modTable;
    final int shift = polShift;
    for (int i = from; i < to; i++) {
      d ^= out[buf[i - WINDOW_SIZE] & 0xff];
      d = ((d << 8) | (buf[i] & 0xff)) ^ mod[(int) (d >>> shift)];
      if ((d & SPLIT_MASK) == 0) {
        return i + 1;
      }
    }
    return -1;
  }

  /** The fingerprint of the 64 bytes before {@code buf[at]} ({@code at >= 64}), from nothing: appended to zero, the first byte needs no removal. */
  private long warm(byte[] buf, int at) {
    final long[] mod = modTable;
    final int shift = polShift;
    long d = 0;
    for (int i = at - WINDOW_SIZE; i < at; i++) {
      d = ((d << 8) | (buf[i] & 0xff)) ^ mod[(int) (d >>> shift)];
    }
    return d;
  }

  private long appendByte(long hash, int b) {
    return Polynomial.mod((hash << 8) | b, polynomial);
  }
}
