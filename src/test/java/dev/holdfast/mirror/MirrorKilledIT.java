package dev.holdfast.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import dev.holdfast.testkit.Cli;
import dev.holdfast.testkit.Processes;
import dev.holdfast.testkit.Trees;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A mirror killed with SIGKILL while copying a 300 MB file leaves only its temporary file, never a
 * partial file under the real name; the next run removes the leftover and completes. One stopped
 * by SIGTERM is also recorded in history and the run log as interrupted.
 */
class MirrorKilledIT {
  @TempDir Path tmp;

  @Test
  void aKilledRunLeavesNoPartialFileAndTheNextRunCompletes() throws Exception {
    Path src = tmp.resolve("src");
    Trees.randomFile(src.resolve("small.txt"), new Random(1), 100);
    Path dest = tmp.resolve("dest");
    Cli cli = new Cli(tmp.resolve("state"));
    String[] args = {"mirror", src.toString(), "--to", dest.toString()};

    Process child = startCopyingBig(cli, src, dest, args, 300);
    child.destroyForcibly(); // SIGKILL
    assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(child.exitValue()).isEqualTo(137);
    assertThat(dest.resolve("big.bin")).as("no half-written file under its real name").doesNotExist();

    Cli.Result next = cli.run(args);
    assertThat(next.exitCode()).as(next.toString()).isZero();
    assertThat(temps(dest)).as("leftovers of the killed run").isEmpty();
    assertThat(Trees.sha256(dest.resolve("big.bin"))).isEqualTo(Trees.sha256(src.resolve("big.bin")));
    assertThat(MirrorRsyncIT.rsync(src, dest)).isEmpty();
  }

  @Test
  void aRunStoppedBySigtermIsRecordedAsInterrupted() throws Exception {
    Path src = tmp.resolve("src");
    Path dest = tmp.resolve("dest");
    Cli cli = new Cli(tmp.resolve("state"));
    String[] args = {"mirror", src.toString(), "--to", dest.toString()};

    Process child = startCopyingBig(cli, src, dest, args, 301);
    child.destroy(); // SIGTERM
    assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(child.exitValue()).isEqualTo(143);
    // the copy under way may still finish (and be renamed) while the JVM runs its shutdown hooks:
    // under its real name there is the whole file or nothing
    if (Files.exists(dest.resolve("big.bin"))) {
      assertThat(Trees.sha256(dest.resolve("big.bin"))).as("no half-written file under its real name")
          .isEqualTo(Trees.sha256(src.resolve("big.bin")));
    }
    assertThat(Files.readString(tmp.resolve("state/holdfast.log")))
        .containsPattern("FAILURE: mirror mirror to \\S+: interrupted by a signal");
    // The history has it too, unless the signal came before the state file was open: a mirror opens
    // it beside its first pass, and SQLite cannot be loaded once the JVM is shutting down. Never a
    // record of anything else.
    Cli.Result history = cli.run("history", "--json");
    String records = history.out().replaceAll("\\s", "");
    if (!records.equals("[]")) {
      assertThat(history.out()).as(history.toString()).containsPattern("\"status\"\\s*:\\s*\"FAILURE\"")
          .containsPattern("\"exit_code\"\\s*:\\s*130").contains("interrupted by a signal (SIGTERM or Ctrl-C)");
    }

    Cli.Result next = cli.run(args);
    assertThat(next.exitCode()).as(next.toString()).isZero();
    assertThat(MirrorRsyncIT.rsync(src, dest)).isEmpty();
  }

  /** Adds a 300 MB big.bin to {@code src} and starts the mirror; returns once it is writing big.bin. */
  private Process startCopyingBig(Cli cli, Path src, Path dest, String[] args, long seed) throws Exception {
    Trees.randomFile(src.resolve("big.bin"), new Random(seed), 300L << 20);
    Process child = Processes.startHoldfast(cli, tmp.resolve("child"), List.of(), args);
    awaitTemp(child, dest);
    return child;
  }

  /** Waits until the child has begun writing big.bin under its temporary name. */
  private static void awaitTemp(Process child, Path dest) throws Exception {
    Optional<Path> temp = Optional.empty();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (temp.isEmpty() && child.isAlive() && System.nanoTime() < deadline) {
      temp = temps(dest).stream().filter(p -> p.getFileName().toString().startsWith(".big.bin.")).findFirst();
      if (temp.isEmpty()) {
        Thread.onSpinWait();
      }
    }
    assertThat(temp).as("the temporary file appeared before the child ended").isPresent();
  }

  private static List<Path> temps(Path dir) throws Exception {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> Mirror.isTempName(p.getFileName().toString())).toList();
    }
  }
}
