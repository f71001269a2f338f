package dev.holdfast.mirror;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.holdfast.testkit.Cli;
import dev.holdfast.testkit.Processes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * require_mount: a plain directory is not a mount point, so nothing is written there; /dev/shm (a
 * tmpfs, as findmnt confirms) is one. Absent mounts skip (exit 6, SKIPPED) or fail (exit 10).
 */
class MirrorMountIT {
  @TempDir Path tmp;

  @Test
  void aPlainDirectoryIsNotAMountPointAndTmpfsIs() {
    assumeThat(Processes.run(tmp, List.of("findmnt", "/dev/shm")).exitCode()).as("/dev/shm is a mount").isZero();
    assertThat(Processes.run(tmp, List.of("findmnt", tmp.toString())).exitCode()).isNotZero();
    assertThat(MountPoint.isMountPoint(Path.of("/dev/shm"))).isTrue();
    assertThat(MountPoint.isMountPoint(tmp)).isFalse();
    assertThat(MountPoint.isMountPoint(tmp.resolve("missing"))).isFalse();
  }

  @Test
  void anUnmountedDriveIsRefusedWithoutAByteWritten() throws Exception {
    Path src = source();
    Path drive = tmp.resolve("media/usb");
    Files.createDirectories(drive);
    Path dest = drive.resolve("backup");
    Cli cli = new Cli(tmp.resolve("state"));

    Cli.Result fail = cli.run("mirror", src.toString(), "--to", dest.toString(), "--require-mount", drive.toString());
    assertThat(fail.exitCode()).as(fail.toString()).isEqualTo(10);
    assertThat(fail.err()).contains("is not a mount point");
    assertThat(drive).isEmptyDirectory();

    long t0 = System.nanoTime();
    Cli.Result skip = cli.run("mirror", src.toString(), "--to", dest.toString(), "--require-mount", drive.toString(),
        "--when-absent", "skip", "--wait-for-mount", "2s");
    assertThat(System.nanoTime() - t0).as("waited for the mount").isGreaterThan(1_900_000_000L);
    assertThat(skip.exitCode()).as(skip.toString()).isEqualTo(6);
    assertThat(skip.err()).contains("SKIPPED: mirror mirror to " + dest);
    assertThat(drive).isEmptyDirectory();
    Cli.Result history = cli.run("history");
    assertThat(history.all()).contains("SKIPPED").contains("FAILURE");
  }

  @Test
  void aMountedDriveIsWritten() throws Exception {
    Path shm = Path.of("/dev/shm");
    assumeThat(MountPoint.isMountPoint(shm)).isTrue();
    Path dest = shm.resolve("holdfast-mirror-" + UUID.randomUUID());
    try {
      Cli cli = new Cli(tmp.resolve("state"));
      Cli.Result r = cli.run("mirror", source().toString(), "--to", dest.toString(), "--require-mount", shm.toString());
      assertThat(r.exitCode()).as(r.toString()).isZero();
      assertThat(dest.resolve("a.txt")).hasContent("a");
    } finally {
      Processes.run(tmp, List.of("rm", "-rf", dest.toString()));
    }
  }

  private Path source() throws Exception {
    Path src = tmp.resolve("src");
    Files.createDirectories(src);
    Files.writeString(src.resolve("a.txt"), "a");
    return src;
  }
}
