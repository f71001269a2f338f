package dev.holdfast.archive;

import java.io.InputStream;
import java.util.SplittableRandom;

/** Pseudo-random test bytes of a fixed length, generated as they are read so no size needs memory. */
final class SeededInputStream extends InputStream {
  private final SplittableRandom random;
  private long remaining;
  private long word;
  private int wordBytes;

  SeededInputStream(long seed, long length) {
    this.random = new SplittableRandom(seed);
    this.remaining = length;
  }

  /** The same bytes as a stream with this seed and length, in one array. */
  static byte[] bytes(long seed, int length) {
    byte[] b = new byte[length];
    int n = new SeededInputStream(seed, length).read(b, 0, length);
    assert n == length || length == 0;
    return b;
  }

  @Override
  public int read() {
    byte[] one = new byte[1];
    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) {
    if (remaining == 0) {
      return len == 0 ? 0 : -1;
    }
    int n = (int) Math.min(len, remaining);
    for (int i = 0; i < n; i++) {
      if (wordBytes == 0) {
        word = random.nextLong();
        wordBytes = 8;
      }
      b[off + i] = (byte) word;
      word >>>= 8;
      wordBytes--;
    }
    remaining -= n;
    return n;
  }
}
