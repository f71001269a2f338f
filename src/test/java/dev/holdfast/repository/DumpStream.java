package dev.holdfast.repository;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

/**
 * A seeded, generated SQL-dump-like stream of a given length (INSERT lines with random values, so
 * it compresses somewhat and repeats nowhere), produced as it is read.
 */
final class DumpStream extends InputStream {
  private final SplittableRandom random;
  private long remaining;
  private byte[] line = new byte[0];
  private int pos;

  DumpStream(long seed, long length) {
    this.random = new SplittableRandom(seed);
    this.remaining = length;
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
      if (pos == line.length) {
        line = ("INSERT INTO events VALUES (" + random.nextLong() + ", '"
                + Long.toHexString(random.nextLong()) + Long.toHexString(random.nextLong()) + "', "
                + random.nextInt(1000) + ");\n").getBytes(StandardCharsets.US_ASCII);
        pos = 0;
      }
      b[off + i] = line[pos++];
    }
    remaining -= n;
    return n;
  }
}
