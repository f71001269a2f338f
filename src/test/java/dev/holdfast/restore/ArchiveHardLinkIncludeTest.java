package dev.holdfast.restore;

import static org.assertj.core.api.Assertions.assertThat;

import dev.holdfast.testkit.Cli;
import dev.holdfast.testkit.Trees;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * --include that takes a hard link's name but not the file whose name holds the content in the tar
 * stream: the link is restored with its content (the other name is read to give it that, and is
 * neither written into the target nor checked against what is there).
 */
class ArchiveHardLinkIncludeTest {
  @TempDir Path tmp;

  @Test
  void anIncludedHardLinkGetsItsContentWithoutTheNameItLinksTo() throws Exception {
    Path src = tmp.resolve("src");
    Trees.randomFile(src.resolve("a.bin"), new Random(5), 20_000);
    Files.createLink(src.resolve("hard"), src.resolve("a.bin"));
    Path archives = tmp.resolve("archives");
    Cli cli = new Cli(tmp.resolve("state"));
    Cli.Result backup = cli.run("backup", "--to", archives.toString(), src.toString());
    assertThat(backup.exitCode()).as(backup.toString()).isZero();

    Path restored = tmp.resolve("restored");
    Path there = Files.createDirectories(Trees.restored(restored, src));
    Files.writeString(there.resolve("a.bin"), "not ours to touch");
    Cli.Result r = cli.run("restore", "--from", archives.toString(), "latest", "--target", restored.toString(),
        "--include", "hard");
    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(Files.readAllBytes(there.resolve("hard"))).isEqualTo(Files.readAllBytes(src.resolve("a.bin")));
    assertThat(there.resolve("a.bin")).hasContent("not ours to touch");
    try (var s = Files.list(restored)) {
      assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith(".holdfast-restore-"));
    }
  }
}
