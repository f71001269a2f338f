package dev.holdfast.archive;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ParallelGzipOutputStreamTest {
  @TempDir Path dir;

  private static byte[] mixed(int size, long seed) {
    Random r = new Random(seed);
    byte[] b = new byte[size];
    for (int i = 0; i < size; ) {
      if (r.nextBoolean()) {
        byte[] line = ("2026-01-02 03:00:01 INFO request " + r.nextInt(1000) + " ok\n").getBytes();
        int n = Math.min(line.length, size - i);
        System.arraycopy(line, 0, b, i, n);
        i += n;
      } else {
        int n = Math.min(4096, size - i);
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
    try (var gz = new ParallelGzipOutputStream(out, 6, threads, block)) {
      // uneven writes cross block boundaries in every way
      Random r = new Random(7);
      int i = 0;
      while (i < data.length) {
        int n = Math.min(data.length - i, 1 + r.nextInt(100_000));
        gz.write(data, i, n);
        i += n;
      }
    }
    return out.toByteArray();
  }

  @Test
  void javaReadsEveryMemberBack() throws Exception {
    byte[] data = mixed(5_000_000, 1);
    byte[] gz = compress(data, 2, 64 * 1024);
    assertThat(new GZIPInputStream(new ByteArrayInputStream(gz)).readAllBytes()).isEqualTo(data);
    // by volume this data is 99% random 4 KiB pieces: such 64 KiB stretches are stored, so it may
    // grow by block headers, never more
    assertThat(gz.length).isLessThan(data.length + data.length / 1000);
  }

  @Test
  void gnuGzipReadsItAsOneStream() throws Exception {
    byte[] data = mixed(3_000_000, 2);
    Path file = dir.resolve("x.gz");
    Files.write(file, compress(data, 3, 100_000));
    Process p = new ProcessBuilder("gzip", "-dc", file.toString()).redirectErrorStream(false).start();
    byte[] out = p.getInputStream().readAllBytes();
    String err = new String(p.getErrorStream().readAllBytes());
    assertThat(p.waitFor()).as("gzip -dc stderr: %s", err).isZero();
    assertThat(out).isEqualTo(data);
    Process t = new ProcessBuilder("gzip", "-t", file.toString()).start();
    assertThat(t.waitFor()).isZero();
  }

  @Test
  void emptyInputIsAValidGzipFile() throws Exception {
    byte[] gz = compress(new byte[0], 2, 1024);
    assertThat(new GZIPInputStream(new ByteArrayInputStream(gz)).readAllBytes()).isEmpty();
  }

  @Test
  void randomStretchesAreStoredAndStillReadByGzip() throws Exception {
    // log text, 3 MB of random bytes, log text: the random part is stored, the text deflated
    byte[] lines = "2026-01-02 03:00:01 INFO request served in 12 ms\n".repeat(25_000).getBytes();
    byte[] random = new byte[3_000_000];
    new Random(4).nextBytes(random);
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    all.writeBytes(lines);
    all.writeBytes(random);
    all.writeBytes(lines);
    byte[] data = all.toByteArray();
    Path file = dir.resolve("r.gz");
    byte[] gz = compress(data, 2, 1 << 20);
    Files.write(file, gz);
    Process p = new ProcessBuilder("gzip", "-dc", file.toString()).start();
    byte[] out = p.getInputStream().readAllBytes();
    assertThat(p.waitFor()).isZero();
    assertThat(out).isEqualTo(data);
    assertThat(gz.length).isBetween(3_000_000, 3_000_000 + 2 * lines.length / 20);
  }

  @Test
  void randomDataIsStoredInFullSizeBlocksWithoutDeflating() throws Exception {
    byte[] data = new byte[4_000_000];
    new Random(5).nextBytes(data);
    byte[] gz = compress(data, 2, 1 << 20);
    assertThat(new GZIPInputStream(new ByteArrayInputStream(gz)).readAllBytes()).isEqualTo(data);
    // after the 10-byte member header: a stored block (BTYPE 00) of 65535 bytes, which is ours; zlib
    // itself falls back to stored blocks for random input too, but of at most its 16 KiB buffer
    assertThat(gz[10] & 0b110).isZero();
    assertThat((gz[11] & 0xff) | (gz[12] & 0xff) << 8).isEqualTo(65535);
    // 5 bytes per stored block and 18 per member (one per 1 MiB block here)
    assertThat(gz.length).isLessThanOrEqualTo(data.length + 5 * (data.length / 65535 + 4) + 18 * 4);
  }
}
