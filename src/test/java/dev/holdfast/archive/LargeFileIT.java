package dev.holdfast.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.holdfast.testkit.Cli;
import dev.holdfast.testkit.Processes;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A file over 8 GiB (ustar's size field holds 8 GiB - 1): a sparse file with random bytes at its
 * end, backed up with zstd. GNU tar lists its exact size and extracts it, and holdfast restores
 * it, both with the right size and tail. Slow (a minute or more): 8 GiB is read three times and
 * written once.
 */
class LargeFileIT {
  private static final long SIZE = (8L << 30) + 12345;
  private static final int TAIL = 4096;

  @TempDir Path tmp;

  @Test
  void aFileOver8GiBSurvivesBackupTarAndRestore() throws Exception {
    assumeTrue(Files.getFileStore(tmp).getUsableSpace() > SIZE + (2L << 30), "needs ~10 GiB free for the restore");
    Path src = Files.createDirectories(tmp.resolve("src"));
    Path big = src.resolve("big.sparse");
    byte[] tail = new byte[TAIL];
    new Random(8).nextBytes(tail);
    try (RandomAccessFile f = new RandomAccessFile(big.toFile(), "rw")) {
      f.setLength(SIZE);
      f.seek(SIZE - TAIL);
      f.write(tail);
    }
    Path target = tmp.resolve("target");
    Cli cli = new Cli(tmp.resolve("state"));

    Cli.Result backup = cli.run("backup", "--to", target.toString(), "--compression", "zstd", src.toString());
    assertThat(backup.exitCode()).as(backup.toString()).isZero();
    Path archive;
    try (var s = Files.list(target.resolve("backup"))) {
      archive = s.filter(p -> p.toString().endsWith(".tar.zst")).findFirst().orElseThrow();
    }
    String member = big.toString().substring(1);

    Processes.Result listing = Processes.check(tmp, "tar", "-tv", "--use-compress-program=zstd", "-f", archive.toString());
    assertThat(listing.out().lines().filter(l -> l.endsWith(" " + member)))
        .singleElement().asString().contains(" " + SIZE + " ");

    assertTarExtractsSizeAndTail(archive, member, tail);

    Path restored = tmp.resolve("restored");
    Cli.Result restore = cli.run("restore", "--from", target.toString(), "latest", "--target", restored.toString());
    assertThat(restore.exitCode()).as(restore.toString()).isZero();
    Path file = restored.resolve(member);
    assertThat(Files.size(file)).isEqualTo(SIZE);
    byte[] got = new byte[TAIL];
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
      f.seek(SIZE - TAIL);
      f.readFully(got);
    }
    assertThat(got).isEqualTo(tail);
  }

  /** Streams {@code tar -xO} (no 8 GiB written to disk) and checks the member's size and tail. */
  private static void assertTarExtractsSizeAndTail(Path archive, String member, byte[] tail) throws Exception {
    Process tar = new ProcessBuilder("tar", "-xO", "--use-compress-program=zstd", "-f", archive.toString(), member)
        .redirectError(ProcessBuilder.Redirect.DISCARD).start();
    tar.getOutputStream().close();
    Drained out;
    try (InputStream in = tar.getInputStream()) {
      out = drain(in, tail.length);
    }
    assertThat(tar.waitFor(1, TimeUnit.MINUTES)).isTrue();
    assertThat(tar.exitValue()).isZero();
    assertThat(out.size()).isEqualTo(SIZE);
    assertThat(out.tail()).isEqualTo(tail);
  }

  private record Drained(long size, byte[] tail) {}

  /** Reads a stream to its end, keeping its length and its last {@code n} bytes. */
  private static Drained drain(InputStream in, int n) throws IOException {
    byte[] buf = new byte[1 << 20];
    byte[] last = new byte[n];
    long total = 0;
    int r;
    while ((r = in.read(buf)) > 0) {
      if (r >= n) {
        System.arraycopy(buf, r - n, last, 0, n);
      } else {
        System.arraycopy(last, r, last, 0, n - r);
        System.arraycopy(buf, 0, last, n - r, r);
      }
      total += r;
    }
    return new Drained(total, last);
  }
}
