package dev.holdfast.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.holdfast.testkit.Cli;
import dev.holdfast.testkit.Processes;
import dev.holdfast.testkit.Trees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A backup killed with SIGKILL while writing leaves only a {@code .partial} file: the target still
 * lists and verifies just the earlier backup, which restores, and the next backup succeeds.
 */
class KilledBackupIT {
  private static final int FILES = 30;
  private static final int FILE_SIZE = 10 << 20; // 30 x 10 MiB = 300 MiB of random data

  @TempDir Path tmp;

  @Test
  void sigkillMidBackupLeavesTheTargetConsistent() throws Exception {
    Path src = tmp.resolve("src");
    Random random = new Random(300);
    for (int i = 0; i < FILES; i++) {
      Trees.randomFile(src.resolve(String.format("file-%02d.bin", i)), random, FILE_SIZE);
    }
    Path target = tmp.resolve("target");
    Cli cli = new Cli(tmp.resolve("state"));
    String[] backup = {"backup", "--to", target.toString(), src.toString(), "--compression", "none"};

    Cli.Result first = cli.run(backup);
    assertThat(first.exitCode()).as(first.toString()).isZero();
    String firstId = ids(cli, target).get(0);
    Thread.sleep(1100); // archive names have one-second resolution

    Process child = Processes.startHoldfast(cli, tmp.resolve("child"), List.of(), backup);
    Optional<Path> partial = Optional.empty();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (partial.isEmpty() && child.isAlive() && System.nanoTime() < deadline) {
      partial = partials(target).stream().filter(p -> p.toFile().length() > 0).findFirst();
      Thread.sleep(10);
    }
    assertThat(partial).as("a growing .partial file before the child ended; its stderr: %s",
        Files.exists(tmp.resolve("child/stderr.txt")) ? Files.readString(tmp.resolve("child/stderr.txt")) : "").isPresent();
    child.destroyForcibly(); // SIGKILL
    assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(child.exitValue()).isEqualTo(137);

    assertThat(partials(target)).as("left-overs of the killed run").isNotEmpty();
    assertThat(ids(cli, target)).containsExactly(firstId);
    Cli.Result verify = cli.run("verify", "--from", target.toString(), "--all");
    assertThat(verify.exitCode()).as(verify.toString()).isZero();
    for (Path p : files(target)) {
      String name = p.getFileName().toString();
      if (!name.endsWith(".partial") && !name.endsWith(".sha256") && !name.endsWith(".manifest.json")) {
        assertThat(p.resolveSibling(name + ".manifest.json")).as("manifest of " + p).exists();
      }
    }

    Path restored = tmp.resolve("restored");
    Cli.Result restore = cli.run("restore", "--from", target.toString(), firstId, "--target", restored.toString());
    assertThat(restore.exitCode()).as(restore.toString()).isZero();
    Trees.assertSameTree(src, Trees.restored(restored, src));

    Cli.Result next = cli.run(backup);
    assertThat(next.exitCode()).as(next.toString()).isZero();
    assertThat(ids(cli, target)).hasSize(2).startsWith(firstId);
  }

  private static List<String> ids(Cli cli, Path target) throws IOException {
    Cli.Result r = cli.run("list", "--json", "--from", target.toString());
    assertThat(r.exitCode()).as(r.toString()).isZero();
    List<String> ids = new ArrayList<>();
    for (JsonNode n : new ObjectMapper().readTree(r.out())) {
      ids.add(n.get("id").asText());
    }
    return ids;
  }

  private static List<Path> partials(Path target) throws IOException {
    return files(target).stream().filter(p -> p.getFileName().toString().endsWith(".partial")).toList();
  }

  private static List<Path> files(Path root) throws IOException {
    if (!Files.isDirectory(root)) {
      return List.of();
    }
    try (Stream<Path> s = Files.walk(root)) {
      return s.filter(Files::isRegularFile).toList();
    } catch (java.io.UncheckedIOException e) {
      return List.of(); // a file vanished while walking; poll again
    }
  }
}
