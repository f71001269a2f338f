package dev.holdfast.repository;

import static org.assertj.core.api.Assertions.assertThat;

import dev.holdfast.testkit.Processes;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 200 MB stream of unknown size (like a database dump) goes into a repository from a JVM with a
 * 96 MB heap, so nothing holds the stream in memory; restic checks it and restores it byte for byte.
 */
class RepositoryStreamIT {
  private static final long LENGTH = 200L << 20;
  private static final long SEED = 77;

  @TempDir Path tmp;

  @Test
  void largeStreamWithSmallHeapRestoresExactly() throws Exception {
    Path repoDir = tmp.resolve("repo");
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("--enable-native-access=ALL-UNNAMED");
    cmd.add("-Xmx96m");
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(StreamBackupMain.class.getName());
    cmd.addAll(List.of(repoDir.toString(), "pw", Long.toString(LENGTH), Long.toString(SEED)));
    Processes.Result child = Processes.run(tmp, cmd);
    assertThat(child.exitCode()).as("child JVM: %s", child).isZero();
    String[] out = child.out().strip().split(" ");
    String snapshotId = out[0];
    long stored = Long.parseLong(out[1]);
    assertThat(stored).as("compressed: stored bytes").isLessThan(LENGTH * 3 / 4);

    var restic = new ResticCli(repoDir, "pw", tmp);
    restic.check("check", "--read-data");
    Path target = tmp.resolve("restore");
    restic.check("restore", snapshotId, "--target", target.toString());
    Path restored = target.resolve("dumps/all.sql");
    assertThat(Files.size(restored)).isEqualTo(LENGTH);
    assertThat(sha256(Files.newInputStream(restored))).isEqualTo(sha256(new DumpStream(SEED, LENGTH)));
    assertThat(Integer.toOctalString((Integer) Files.getAttribute(restored, "unix:mode") & 07777)).isEqualTo("640");
  }

  private static String sha256(InputStream in) throws Exception {
    try (in) {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      byte[] buf = new byte[1 << 16];
      int n;
      while ((n = in.read(buf)) > 0) {
        md.update(buf, 0, n);
      }
      return HexFormat.of().formatHex(md.digest());
    }
  }
}
