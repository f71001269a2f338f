package dev.holdfast.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.holdfast.testkit.AwkwardTree;
import dev.holdfast.testkit.Cli;
import dev.holdfast.testkit.Processes;
import dev.holdfast.testkit.Trees;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * An awkward tree ({@link AwkwardTree}) backed up with each compression comes back identical
 * (content, type, mode, mtime, owner, link targets, hard links as one inode) through
 * {@code holdfast restore} and through GNU {@code tar -x}; the sidecar passes {@code sha256sum -c}.
 */
class TreeRoundTripIT {
  @TempDir Path tmp;

  @ParameterizedTest(name = "{0}")
  @CsvSource({"gzip, .tar.gz, -z", "zstd, .tar.zst, --use-compress-program=zstd", "none, .tar, ''"})
  void roundTripsThroughHoldfastAndGnuTar(String compression, String extension, String tarFlag) {
    Path src = tmp.resolve("src");
    AwkwardTree tree = AwkwardTree.create(src, 20250612L);
    Path target = tmp.resolve("target");
    Cli cli = new Cli(tmp.resolve("state"));

    // no --name: the default template must take the compression's extension
    Cli.Result backup = cli.run("backup", "--to", target.toString(), "--compression", compression,
        "--job-name", "rt", src.toString());
    assertThat(backup.exitCode()).as(backup.toString()).isZero();
    List<String> names = Trees.list(target.resolve("rt"));
    String archive = names.stream().filter(n -> n.endsWith(extension)).findFirst().orElseThrow(
        () -> new AssertionError("no " + extension + " archive in " + names));
    assertThat(names).containsExactlyInAnyOrder(archive, archive + ".sha256", archive + ".manifest.json");

    Processes.check(target.resolve("rt"), "sha256sum", "--check", "--strict", archive + ".sha256");

    Path restoredByHoldfast = tmp.resolve("restored-holdfast");
    Cli.Result restore = cli.run("restore", "--from", target.toString(), "latest", "--target", restoredByHoldfast.toString());
    assertThat(restore.exitCode()).as(restore.toString()).isZero();
    assertSameAsSource(tree, Trees.restored(restoredByHoldfast, src));

    Path restoredByTar = tmp.resolve("restored-tar");
    Processes.check(tmp, "mkdir", restoredByTar.toString());
    List<String> tar = new ArrayList<>(List.of("tar", "-x"));
    if (!tarFlag.isEmpty()) {
      tar.add(tarFlag);
    }
    tar.addAll(List.of("-f", target.resolve("rt").resolve(archive).toString(), "-C", restoredByTar.toString()));
    Processes.check(tmp, tar.toArray(String[]::new));
    assertSameAsSource(tree, Trees.restored(restoredByTar, src));
  }

  private static void assertSameAsSource(AwkwardTree tree, Path restored) {
    Trees.assertSameTree(tree.root(), restored);
    Path a = restored.resolve(tree.root().relativize(tree.hardLinks()[0]));
    Path b = restored.resolve(tree.root().relativize(tree.hardLinks()[1]));
    assertThat(Trees.inode(a)).as("hard links %s and %s share an inode", a, b).isEqualTo(Trees.inode(b));
    if (tree.setuid()) {
      assertThat(Trees.snapshot(restored).get("modes/setuid-4755").mode()).isEqualTo("4755");
    }
    if (tree.foreignOwner()) {
      Trees.Node owned = Trees.snapshot(restored).get("owned/by-1234-5678");
      assertThat(owned.uid()).isEqualTo(1234);
      assertThat(owned.gid()).isEqualTo(5678);
    }
  }
}
