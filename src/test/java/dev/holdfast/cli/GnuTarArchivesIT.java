package dev.holdfast.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.holdfast.testkit.AwkwardTree;
import dev.holdfast.testkit.Cli;
import dev.holdfast.testkit.Processes;
import dev.holdfast.testkit.Trees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Archives written by GNU tar and a script (no manifest, no sidecar) in a target: {@code list}
 * orders them by the time in their names, or by modification time for a name without one, and
 * {@code restore} reproduces the tree from each tar format and compression.
 */
class GnuTarArchivesIT {
  /** Archive name (script style) and the tar options that make it, oldest first by name. */
  private static final List<List<String>> ARCHIVES = List.of(
      List.of("2025-06-12_0200-backup.tar.gz", "-z"),
      List.of("2025-06-13_0200-backup.tar.gz", "-z", "--format=gnu"),
      List.of("2025-06-14_0200-backup.tar.gz", "-z", "--format=posix"),
      List.of("2025-06-15_0200-backup.tar"),
      List.of("2025-06-16_0200-backup.tar.zst", "--use-compress-program=zstd"));
  private static final String LEGACY = "logs-backup.tar.gz";

  @TempDir Path tmp;
  private AwkwardTree tree;
  private Path target;
  private Cli cli;

  @BeforeEach
  void writeArchivesWithGnuTar() throws IOException {
    tree = AwkwardTree.create(tmp.resolve("src/tree"), 7L);
    target = Files.createDirectories(tmp.resolve("target/backups"));
    for (List<String> a : ARCHIVES) {
      tar(a.get(0), a.subList(1, a.size()));
    }
    tar(LEGACY, List.of("-z"));
    // no date in its name: it sorts by mtime, here between the 13th and the 14th
    Files.setLastModifiedTime(target.resolve(LEGACY),
        FileTime.from(LocalDateTime.of(2025, 6, 13, 12, 0).atZone(ZoneId.systemDefault()).toInstant()));
    cli = new Cli(tmp.resolve("state"));
  }

  private void tar(String name, List<String> options) {
    List<String> cmd = new ArrayList<>(List.of("tar", "-c"));
    cmd.addAll(options);
    cmd.addAll(List.of("-f", target.resolve(name).toString(), "-C", tree.root().getParent().toString(), "tree"));
    Processes.check(tmp, cmd.toArray(String[]::new));
  }

  @Test
  void listOrdersByTheTimeInTheNameElseByModificationTime() throws IOException {
    Cli.Result r = cli.run("list", "--json", "--from", target.getParent().toString());
    assertThat(r.exitCode()).as(r.toString()).isZero();
    List<String> ids = new ArrayList<>();
    for (JsonNode n : new ObjectMapper().readTree(r.out())) {
      ids.add(n.get("id").asText());
      assertThat(n.get("managed").asBoolean()).isFalse();
    }
    assertThat(ids).containsExactly(
        "backups/2025-06-12_0200-backup.tar.gz",
        "backups/2025-06-13_0200-backup.tar.gz",
        "backups/" + LEGACY,
        "backups/2025-06-14_0200-backup.tar.gz",
        "backups/2025-06-15_0200-backup.tar",
        "backups/2025-06-16_0200-backup.tar.zst");

    Cli.Result text = cli.run("list", "--from", target.getParent().toString());
    assertThat(text.out()).contains("2025-06-12 02:00:00").contains("(no manifest)").contains("6 backups on");
  }

  @Test
  void restoresLatestFromATargetOfScriptArchives() {
    Path into = tmp.resolve("restored-latest");
    Cli.Result r = cli.run("restore", "--from", target.getParent().toString(), "latest", "--target", into.toString());
    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.out()).contains("2025-06-16_0200-backup.tar.zst");
    assertSameTree(into.resolve("tree"));
  }

  @Test
  void restoresEveryTarFormatAndCompression() {
    List<String> names = new ArrayList<>(ARCHIVES.stream().map(a -> a.get(0)).toList());
    names.add(LEGACY);
    for (String name : names) {
      Path into = tmp.resolve("restored-" + name);
      Cli.Result r = cli.run("restore", "--from", target.getParent().toString(), name, "--target", into.toString());
      assertThat(r.exitCode()).as(name + ": " + r).isZero();
      assertSameTree(into.resolve("tree"));
    }
  }

  private void assertSameTree(Path restored) {
    Trees.assertSameTree(tree.root(), restored);
    Path a = restored.resolve(tree.root().relativize(tree.hardLinks()[0]));
    Path b = restored.resolve(tree.root().relativize(tree.hardLinks()[1]));
    assertThat(Trees.inode(a)).isEqualTo(Trees.inode(b));
  }
}
