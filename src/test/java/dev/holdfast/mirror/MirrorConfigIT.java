package dev.holdfast.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import dev.holdfast.testkit.AwkwardTree;
import dev.holdfast.testkit.Cli;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code format: mirror} jobs in the config, run by {@code holdfast run} and {@code holdfast backup}. */
class MirrorConfigIT {
  @TempDir Path tmp;

  @Test
  void aMirrorJobRunsWithItsRecordAndLogLine() throws Exception {
    Path src = AwkwardTree.create(tmp.resolve("src"), 5).root();
    Path dest = tmp.resolve("dest");
    Files.writeString(tmp.resolve("excludes"), "*.bin\n");
    Path config = tmp.resolve("holdfast.yaml");
    Files.writeString(config, """
        jobs:
          usb:
            format: mirror
            sources: [%s]
            target: %s
            delete: true
            backup_dir: .old/{date}
            checksum: true
            exclude: [empty-top]
            exclude_from: %s
          archive:
            sources: [%s]
            target: %s
        """.formatted(src, dest, tmp.resolve("excludes"), src, tmp.resolve("archives")));
    Cli cli = new Cli(tmp.resolve("state"));
    assertThat(cli.run("--config", config.toString(), "config", "check").exitCode()).isZero();

    Cli.Result run = cli.run("--config", config.toString(), "run", "usb");
    assertThat(run.exitCode()).as(run.toString()).isZero();
    assertThat(run.err()).containsPattern("SUCCESS: mirror usb to " + dest + " \\(\\d+ copied, 0 deleted");
    assertThat(MirrorRsyncIT.rsync(src, dest, "--exclude=*.bin", "--exclude=empty-top", "--exclude=/.old")).isEmpty();
    assertThat(dest.resolve("data/size-1.bin")).doesNotExist();
    assertThat(Files.readString(tmp.resolve("state/holdfast.log"))).contains("SUCCESS: mirror usb to " + dest);

    Files.delete(src.resolve("data/empty"));
    Cli.Result both = cli.run("--config", config.toString(), "backup", "usb", "archive");
    assertThat(both.exitCode()).as(both.toString()).isZero();
    assertThat(both.err()).contains("(0 copied, 1 deleted").contains("stored (");
    assertThat(Files.list(dest.resolve(".old")).findFirst().orElseThrow().resolve("data/empty")).exists();
    assertThat(cli.run("history", "--job", "usb").all()).contains("SUCCESS");
    Cli.Result status = cli.run("--config", config.toString(), "status", "--job", "usb");
    assertThat(status.exitCode()).as(status.toString()).isZero();
    assertThat(status.out()).contains("ok").contains("usb");
  }

  @Test
  void anAbsentDriveSkipsTheJob() throws Exception {
    Path src = Files.createDirectories(tmp.resolve("src"));
    Path drive = Files.createDirectories(tmp.resolve("drive"));
    Path config = tmp.resolve("holdfast.yaml");
    Files.writeString(config, """
        jobs:
          usb:
            format: mirror
            sources: [%s]
            target: %s/copy
            require_mount: %s
            wait_for_mount: 1s
            when_absent: skip
        """.formatted(src, drive, drive));
    Cli cli = new Cli(tmp.resolve("state"));
    Cli.Result r = cli.run("--config", config.toString(), "run", "usb");
    assertThat(r.exitCode()).as(r.toString()).isEqualTo(6);
    assertThat(drive).isEmptyDirectory();
    assertThat(cli.run("history", "--job", "usb").all()).contains("SKIPPED");
    Cli.Result status = cli.run("--config", config.toString(), "status");
    assertThat(status.exitCode()).as("never mirrored: missing").isEqualTo(5);
    assertThat(status.out()).contains("missing").doesNotContain("failing");
  }

  @Test
  void mirrorKeysAreCheckedAndRefusedOnArchiveJobs() throws Exception {
    Path config = tmp.resolve("holdfast.yaml");
    Files.writeString(config, """
        jobs:
          a:
            sources: [/etc/hostname]
            target: /tmp/x
            delete: true
          m:
            format: mirror
            sources: [/etc/hostname]
            target: /tmp/y
            when_absent: later
            wait_for_mount: soon
            compression: zstd
        """);
    Cli.Result r = new Cli(tmp.resolve("state")).run("--config", config.toString(), "config", "check");
    assertThat(r.exitCode()).as(r.toString()).isEqualTo(2);
    assertThat(r.err()).contains("jobs.a.delete: applies only to jobs with format: mirror",
        "jobs.m.when_absent: 'later' is not one of: skip, fail", "jobs.m.wait_for_mount: 'soon' is not a duration",
        "jobs.m.require_mount: missing", "jobs.m.compression: does not apply to jobs with format: mirror");
  }
}
