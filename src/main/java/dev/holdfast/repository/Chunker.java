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
  // restic resets its window to a single byte 1 at position 0 before every chunk (reset() does
  // slide(1)), so the fingerprint starts at 1 and that 1 slides out 64 hashed bytes later.
  private static final long RESET_DIGEST = 1;
  // restic does not hash the first MIN_SIZE - 64 bytes of a chunk: only the window that ends at
  // MIN_SIZE can decide a cut, and hashing starts just early enough to fill it.
  private static final int FIRST_HASHED = MIN_SIZE - WINDOW_SIZE;
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
  private long digest;

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
    int next = FIRST_HASHED; // the next byte to hash
    digest = RESET_DIGEST;
    for (;;) {
      if (filled > next) {
        int cut = scan(buf, next, filled);
        if (cut < 0) {
          next = filled;
        } else {
          consumer.chunk(buf, 0, cut);
          filled -= cut;
          System.arraycopy(buf, cut, buf, 0, filled);
          next = FIRST_HASHED;
          digest = RESET_DIGEST;
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
   * Hashes {@code buf[from, to)} (from >= FIRST_HASHED, to <= MAX_SIZE) on top of {@link #digest}
   * and returns the length of the chunk if it ends there, or -1 with the digest updated. The
   * chunk's own bytes double as the window: the byte leaving it is 64 positions back.
   */
  private int scan(byte[] buf, int from, int to) {
    final long[] out = outTable;
    final long[] mod = modTable;
    final int shift = polShift;
    long d = digest;
    int i = from;
    // Until the window is all chunk bytes, what leaves it is the reset window's zeros (XOR with
    // outTable[0] = 0 changes nothing) and, last, its 1. No cut is possible before MIN_SIZE.
    for (int end = Math.min(to, MIN_SIZE - 1); i < end; i++) {
      d = ((d << 8) | (buf[i] & 0xff)) ^ mod[(int) (d >>> shift)];
    }
    if (i == MIN_SIZE - 1 && i < to) {
      d ^= out[1];
      d = ((d << 8) | (buf[i] & 0xff)) ^ mod[(int) (d >>> shift)];
      i++;
      if ((d & SPLIT_MASK) == 0) {
        return i;
      }
    }
    for (; i < to; i++) {
      d ^= out[buf[i - WINDOW_SIZE] & 0xff];
      d = ((d << 8) | (buf[i] & 0xff)) ^ mod[(int) (d >>> shift)];
      if ((d & SPLIT_MASK) == 0) {
        return i + 1;
      }
    }
    if (i == MAX_SIZE) {
      return MAX_SIZE;
    }
    digest = d;
    return -1;
  }

  private long appendByte(long hash, int b) {
    return Polynomial.mod((hash << 8) | b, polynomial);
  }
}
