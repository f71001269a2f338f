package dev.holdfast.repository;

import static org.assertj.core.api.Assertions.assertThat;

import dev.holdfast.testkit.Cli;
import dev.holdfast.testkit.Processes;
import dev.holdfast.testkit.Trees;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A repository backup stopped by SIGTERM (systemd, a timeout, {@code kill}) exits 143 and takes its
 * lock file with it, so neither other hosts nor restic wait for it to turn stale; the run is in
 * history as interrupted, restic finds the repository sound, and the next backup completes.
 */
class RepositoryInterruptedIT {
  private static final String PASSWORD = "interrupted";

  @TempDir Path tmp;

  @Test
  void aTerminatedBackupLeavesNoLock() throws Exception {
    Path src = bigSource(11);
    Path repo = tmp.resolve("repo");
    Cli cli = initRepository(repo);
    String[] args = {"backup", "--to", repo.toString(), src.toString()};

    Process child = Processes.startHoldfast(cli, tmp.resolve("child"), List.of(), args);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    boolean locked = false;
    while (!locked && child.isAlive() && System.nanoTime() < deadline) {
      locked = !files(repo.resolve("locks")).isEmpty();
      if (!locked) {
        Thread.sleep(5);
      }
    }
    Thread.sleep(300); // into the data
    child.destroy(); // SIGTERM
    assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(locked).as("the backup held its lock; stderr: %s", Files.readString(tmp.resolve("child/stderr.txt")))
        .isTrue();
    assertThat(child.exitValue()).as("stopped before it finished").isEqualTo(143);
    assertThat(files(repo.resolve("locks"))).as("lock files left").isEmpty();
    var restic = new ResticCli(repo, PASSWORD, tmp);
    assertThat(restic.check("list", "locks")).isBlank();
    restic.check("check");
    assertThat(cli.run("history", "--json").out()).contains("interrupted by a signal");

    Cli.Result next = cli.run(args);
    assertThat(next.exitCode()).as(next.toString()).isZero();
    assertThat(next.err()).doesNotContain("stale lock");
    restic.check("check", "--read-data");
  }

  /** A restore stopped by SIGTERM leaves no staging directory (half a restore, hidden) in its target. */
  @Test
  void aTerminatedRestoreLeavesNoStagingDirectory() throws Exception {
    Path src = bigSource(12);
    Path repo = tmp.resolve("repo");
    Cli cli = initRepository(repo);
    assertThat(cli.run("backup", "--to", repo.toString(), src.toString()).exitCode()).isZero();
    Path target = tmp.resolve("restored");

    Process child = Processes.startHoldfast(cli, tmp.resolve("child"), List.of(), "restore", "--from", repo.toString(),
        "latest", "--target", target.toString());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    boolean staging = false;
    while (!staging && child.isAlive() && System.nanoTime() < deadline) {
      try (Stream<Path> s = Files.isDirectory(target) ? Files.walk(target) : Stream.empty()) {
        staging = s.anyMatch(p -> p.getFileName().toString().equals("big.bin"));
      }
      if (!staging) {
        Thread.sleep(5);
      }
    }
    child.destroy(); // SIGTERM
    assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(staging).as("the restore was writing; stderr: %s", Files.readString(tmp.resolve("child/stderr.txt")))
        .isTrue();
    assertThat(child.exitValue()).as("stopped before it finished").isEqualTo(143);
    try (Stream<Path> s = Files.list(target)) {
      assertThat(s.toList()).as("left in the target").isEmpty();
    }
    assertThat(Files.readString(tmp.resolve("child/stderr.txt")))
        .contains("error: stopped by a signal (SIGTERM or Ctrl-C) before it finished");
  }

  /** A source of one 600 MiB file: long enough to be stopped in the middle. */
  private Path bigSource(long seed) {
    Path src = tmp.resolve("src");
    Trees.randomFile(src.resolve("big.bin"), new Random(seed), 600L << 20);
    return src;
  }

  private Cli initRepository(Path repo) {
    Cli cli = new Cli(tmp.resolve("state")).env("HOLDFAST_PASSWORD", PASSWORD);
    assertThat(cli.run("init", "--to", repo.toString(), "--format", "repository").exitCode()).isZero();
    return cli;
  }

  private static List<Path> files(Path dir) throws Exception {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(Files::isRegularFile).toList();
    }
  }
}
