package dev.holdfast.archive;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ParallelZstdOutputStreamTest {
  @TempDir Path dir;

  /** Log lines and random stretches of 1 to 300 KiB. */
  private static byte[] mixed(int size, long seed) {
    Random r = new Random(seed);
    byte[] b = new byte[size];
    for (int i = 0; i < size; ) {
      int n = Math.min(size - i, 1024 + r.nextInt(300 * 1024));
      if (r.nextBoolean()) {
        for (int end = i + n; i < end; ) {
          byte[] line = ("2026-01-02 03:00:01 INFO request " + r.nextInt(1000) + " served\n").getBytes();
          int m = Math.min(line.length, end - i);
          System.arraycopy(line, 0, b, i, m);
          i += m;
        }
      } else {
        byte[] rnd = new byte[n];
        r.nextBytes(rnd);
        System.arraycopy(rnd, 0, b, i, n);
        i += n;
      }
    }
    return b;
  }

  private static byte[] compress(byte[] data, int threads, int block) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (var z = new ParallelZstdOutputStream(out, 3, threads, block)) {
      // uneven writes cross block boundaries in every way
      Random r = new Random(7);
      int i = 0;
      while (i < data.length) {
        int n = Math.min(data.length - i, 1 + r.nextInt(100_000));
        z.write(data, i, n);
        i += n;
      }
    }
    return out.toByteArray();
  }

  private static byte[] decompress(byte[] z) throws Exception {
    try (var in = Compression.decompress(new ByteArrayInputStream(z))) {
      return in.readAllBytes();
    }
  }

  private byte[] zstdCli(byte[] z) throws Exception {
    Path file = dir.resolve("x.zst");
    Files.write(file, z);
    Process p = new ProcessBuilder("zstd", "-dc", file.toString()).start();
    byte[] out = p.getInputStream().readAllBytes();
    String err = new String(p.getErrorStream().readAllBytes());
    assertThat(p.waitFor()).as("zstd -dc stderr: %s", err).isZero();
    return out;
  }

  @Test
  void zstdAndOurReaderReadEveryFrameBack() throws Exception {
    byte[] data = mixed(9_000_000, 1);
    byte[] z = compress(data, 2, 1 << 20);
    assertThat(decompress(z)).isEqualTo(data);
    assertThat(zstdCli(z)).isEqualTo(data);
  }

  @Test
  void blocksThatAreNotAWholeNumberOfSegmentsWork() throws Exception {
    byte[] data = mixed(3_000_000, 2);
    byte[] z = compress(data, 3, 300_000);
    assertThat(zstdCli(z)).isEqualTo(data);
  }

  @Test
  void emptyInputIsAValidZstdFile() throws Exception {
    byte[] z = compress(new byte[0], 2, 1024);
    assertThat(z).isNotEmpty();
    assertThat(decompress(z)).isEmpty();
    assertThat(zstdCli(z)).isEmpty();
  }

  @Test
  void randomDataGrowsByFrameAndBlockHeadersOnly() throws Exception {
    byte[] data = new byte[3_000_000];
    new Random(5).nextBytes(data);
    byte[] z = compress(data, 2, 1 << 20);
    assertThat(zstdCli(z)).isEqualTo(data);
    assertThat(z.length).isLessThanOrEqualTo(data.length + 3 * 32 + 3 * (data.length / (128 * 1024) + 3));
  }

  @Test
  void blocksShrinkSoThatManyWorkersStayWithinAThirdOfTheHeap() {
    long launcherHeap = 495L << 20; // what maxMemory() reports under -Xmx512m with the serial collector
    assertThat(ParallelZstdOutputStream.blockSize(2, launcherHeap)).isEqualTo(16 << 20);
    assertThat(ParallelZstdOutputStream.blockSize(16, launcherHeap)).isEqualTo(4 << 20);
    assertThat(ParallelZstdOutputStream.blockSize(256, 64L << 20)).isEqualTo(1 << 20);
    assertThat(ParallelZstdOutputStream.blockSize(4, 8L << 30)).isEqualTo(16 << 20);
  }

  @Test
  void everyLevelWritesFramesZstdReads() throws Exception {
    byte[] data = mixed(2_000_000, 3);
    for (int level : new int[] {1, 3, 9}) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      try (var z = new ParallelZstdOutputStream(out, level, 2, 1 << 20)) {
        z.write(data);
      }
      assertThat(zstdCli(out.toByteArray())).as("level %d", level).isEqualTo(data);
    }
  }

  @Test
  void textIsCompressed() throws Exception {
    byte[] data = "2026-01-02 03:00:01 INFO request served in 12 ms\n".repeat(100_000).getBytes();
    byte[] z = compress(data, 2, 1 << 20);
    assertThat(zstdCli(z)).isEqualTo(data);
    assertThat(z.length).isLessThan(data.length / 50);
  }

  @Test
  void textBetweenRandomStretchesIsStillCompressed() throws Exception {
    byte[] random = new byte[1 << 20];
    new Random(6).nextBytes(random);
    byte[] text = "2026-01-02 03:00:01 WARN upstream timeout, retrying\n".repeat(800).getBytes();
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    all.write(random, 0, 200_000);
    all.writeBytes(text);
    all.write(random, 200_000, 600_000);
    byte[] data = all.toByteArray();
    byte[] z = compress(data, 2, 4 << 20);
    assertThat(zstdCli(z)).isEqualTo(data);
    assertThat(z.length).isLessThan(800_000 + text.length / 4);
  }
}
