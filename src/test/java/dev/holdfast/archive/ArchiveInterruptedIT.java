package dev.holdfast.archive;

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
 * A backup stopped by SIGTERM (systemd, a timeout, `kill`) while writing its archive exits 143,
 * leaves neither an archive nor its temporary .partial file, and is recorded as an interrupted
 * FAILURE in history and the run log; the next backup completes.
 */
class ArchiveInterruptedIT {
  @TempDir Path tmp;

  @Test
  void aTerminatedBackupLeavesNoPartialArchive() throws Exception {
    Path src = tmp.resolve("src");
    Trees.randomFile(src.resolve("big.bin"), new Random(7), 400L << 20);
    Path target = tmp.resolve("target");
    Cli cli = new Cli(tmp.resolve("state"));
    String[] args = {"backup", "--to", target.toString(), "--compression", "none", src.toString()};

    Process child = Processes.startHoldfast(cli, tmp.resolve("child"), List.of(), args);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    boolean seen = false;
    while (!seen && child.isAlive() && System.nanoTime() < deadline) {
      seen = files(target).stream().anyMatch(p -> p.getFileName().toString().endsWith(".partial"));
      if (!seen) {
        Thread.sleep(5);
      }
    }
    child.destroy(); // SIGTERM
    assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(seen).as("the archive was being written when the backup was stopped; stderr: %s",
        Files.readString(tmp.resolve("child/stderr.txt"))).isTrue();
    assertThat(child.exitValue()).isEqualTo(143);
    assertThat(files(target)).as("nothing left of the stopped backup").isEmpty();
    // the stopped run is in history and the run log, not missing as if it had never started
    Cli.Result history = cli.run("history", "--json");
    assertThat(history.out()).as(history.toString()).containsPattern("\"status\"\\s*:\\s*\"FAILURE\"")
        .contains("interrupted by a signal (SIGTERM or Ctrl-C)");
    assertThat(Files.readString(tmp.resolve("state/holdfast.log")))
        .containsPattern("FAILURE: backup: interrupted by a signal \\(SIGTERM or Ctrl-C\\) after \\S+ s; nothing was stored");

    Cli.Result next = cli.run(args);
    assertThat(next.exitCode()).as(next.toString()).isZero();
    assertThat(files(target)).anyMatch(p -> p.getFileName().toString().endsWith(".tar"));
  }

  private static List<Path> files(Path dir) throws Exception {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(Files::isRegularFile).toList();
    }
  }
}
