package dev.holdfast.archive;

import static org.assertj.core.api.Assertions.assertThat;

import dev.holdfast.testkit.Cli;
import dev.holdfast.testkit.Processes;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 1 GiB incompressible file backed up encrypted, then verified in full, by the CLI in a child JVM
 * whose whole heap is 64 MiB: it can only pass if the archive streams through tar, the compressor
 * and OpenPGP. gpg then decrypts the archive and tar extracts the same bytes.
 */
class EncryptedLargeBackupIT {
  private static final long SIZE = 1L << 30;
  @TempDir Path dir;

  @Test
  void aGibibyteIsEncryptedAndVerifiedInA64MibHeap() throws Exception {
    Path src = Files.createDirectories(dir.resolve("src"));
    MessageDigest expected = HashingOutputStream.sha256();
    try (InputStream in = new SeededInputStream(1130, SIZE);
        OutputStream out = Files.newOutputStream(src.resolve("big.bin"))) {
      byte[] b = new byte[1 << 20];
      for (int n; (n = in.read(b)) > 0; ) {
        expected.update(b, 0, n);
        out.write(b, 0, n);
      }
    }
    try (GnuPgHome gpg = GnuPgHome.create(dir.resolve("gnupg"))) {
      String fpr = gpg.generateKey("large@example.org", EncryptedBackupCliIT.KEY, null);
      Path pub = dir.resolve("pub.asc");
      Path sec = dir.resolve("sec.asc");
      gpg.gpg("--output", pub.toString(), "--export", "--armor", fpr);
      gpg.gpg("--output", sec.toString(), "--export-secret-keys", "--armor", fpr);
      Path target = dir.resolve("target");
      Cli cli = new Cli(dir.resolve("state"));

      Processes.Result backup = Processes.runHoldfastInHeap(cli, "64m", "backup", "--to", target.toString(),
          "--compression", "zstd", "--recipient-file", pub.toString(), src.toString());
      assertThat(backup.exitCode()).as(backup.toString()).isZero();
      Processes.Result verify = Processes.runHoldfastInHeap(cli, "64m", "verify", "--from", target.toString(),
          "--level", "full", "--identity", sec.toString());
      assertThat(verify.exitCode()).as(verify.toString()).isZero();

      Path archive;
      try (Stream<Path> s = Files.walk(target)) {
        archive = s.filter(p -> p.toString().endsWith(".tar.zst.gpg")).findFirst().orElseThrow();
      }
      assertThat(Files.size(archive)).isGreaterThan(SIZE);
      Processes.Result sum = Processes.run(dir, List.of("/bin/sh", "-c", GnuPgHome.GPG + " --homedir '"
          + dir.resolve("gnupg/gnupg") + "' --batch --decrypt '" + archive + "' | tar --zstd -xOf - | sha256sum"));
      assertThat(sum.exitCode()).as(sum.toString()).isZero();
      assertThat(sum.out()).startsWith(HexFormat.of().formatHex(expected.digest()));
    }
  }
}
