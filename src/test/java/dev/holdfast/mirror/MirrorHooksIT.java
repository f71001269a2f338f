package dev.holdfast.mirror;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.holdfast.testkit.Cli;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hooks of {@code format: mirror} jobs: the before hook runs ahead of the mount check, so it can
 * mount the drive (a real bind mount here, as root) and the after hook unmount it; on_failure hooks
 * see the error; a skipped run tells its after hook so.
 */
class MirrorHooksIT {
  @TempDir Path tmp;

  @Test
  void theBeforeHookMountsTheDriveAndTheAfterHookUnmountsIt() throws Exception {
    assumeThat(System.getProperty("user.name")).as("mount needs root (CI runs as root)").isEqualTo("root");
    Path src = Files.createDirectories(tmp.resolve("src"));
    Files.writeString(src.resolve("notes.txt"), "hello\n");
    Path disk = Files.createDirectories(tmp.resolve("disk")); // what the "drive" really holds
    Path drive = Files.createDirectories(tmp.resolve("media/usb"));
    Path seen = tmp.resolve("seen");
    Path config = tmp.resolve("holdfast.yaml");
    Files.writeString(config, """
        jobs:
          usb:
            format: mirror
            sources: [%1$s]
            target: %2$s/copy
            require_mount: %2$s
            hooks:
              before:
                - mount --bind %3$s %2$s
              after:
                - echo "$HOLDFAST_JOB $HOLDFAST_STATUS $HOLDFAST_TARGET" > %4$s
                - umount %2$s
        """.formatted(src, drive, disk, seen));
    Cli cli = new Cli(tmp.resolve("state"));
    assertThat(cli.run("--config", config.toString(), "config", "check").exitCode()).isZero();
    Cli.Result r;
    try {
      r = runUsb(cli, config);
    } finally {
      new ProcessBuilder("umount", drive.toString()).start().waitFor(); // in case the after hook never ran
    }
    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.err()).contains("INFO: before hook: mount --bind").contains("SUCCESS: mirror usb");
    assertThat(disk.resolve("copy/notes.txt")).hasContent("hello");
    assertThat(drive).as("unmounted again by the after hook").isEmptyDirectory();
    assertThat(Files.readString(seen).strip()).isEqualTo("usb SUCCESS " + drive + "/copy");
  }

  @Test
  void aFailingBeforeHookStopsTheMirrorAndRunsOnFailure() throws Exception {
    Path src = Files.createDirectories(tmp.resolve("src"));
    Files.writeString(src.resolve("a"), "a");
    Path dest = tmp.resolve("dest");
    Path seen = tmp.resolve("seen");
    Path config = tmp.resolve("holdfast.yaml");
    Files.writeString(config, """
        jobs:
          usb:
            format: mirror
            sources: [%s]
            target: %s
            hooks:
              before: ["echo drive busy >&2; exit 3"]
              after: ["touch %s.after"]
              on_failure: ['echo "$HOLDFAST_STATUS: $HOLDFAST_ERROR" > %s']
        """.formatted(src, dest, seen, seen));
    Cli cli = new Cli(tmp.resolve("state"));
    Cli.Result r = runUsb(cli, config);
    assertThat(r.exitCode()).as(r.toString()).isEqualTo(1);
    assertThat(r.err()).contains("FAILURE: mirror usb to " + dest + ": before hook")
        .contains("failed with exit code 3: drive busy");
    assertThat(dest).doesNotExist();
    assertThat(Path.of(seen + ".after")).doesNotExist();
    assertThat(Files.readString(seen)).startsWith("FAILURE: before hook").contains("exit code 3");
    assertThat(cli.run("history", "--job", "usb").all()).contains("FAILURE");
  }

  @Test
  void aSkippedRunTellsItsAfterHook() throws Exception {
    Path src = Files.createDirectories(tmp.resolve("src"));
    Path drive = Files.createDirectories(tmp.resolve("drive"));
    Path seen = tmp.resolve("seen");
    Path config = tmp.resolve("holdfast.yaml");
    Files.writeString(config, """
        jobs:
          usb:
            format: mirror
            sources: [%s]
            target: %s/copy
            require_mount: %s
            when_absent: skip
            hooks:
              after: ['echo "$HOLDFAST_STATUS" > %s']
        """.formatted(src, drive, drive, seen));
    Cli.Result r = runUsb(new Cli(tmp.resolve("state")), config);
    assertThat(r.exitCode()).as(r.toString()).isEqualTo(6);
    assertThat(Files.readString(seen).strip()).isEqualTo("SKIPPED");
    assertThat(drive).isEmptyDirectory();
  }

  private static Cli.Result runUsb(Cli cli, Path config) {
    return cli.run("--config", config.toString(), "run", "usb");
  }
}
