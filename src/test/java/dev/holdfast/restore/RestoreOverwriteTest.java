package dev.holdfast.restore;

import static org.assertj.core.api.Assertions.assertThat;

import dev.holdfast.testkit.Cli;
import dev.holdfast.testkit.Trees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Restoring over existing files: refused without --overwrite (target unchanged), replaced with it. */
class RestoreOverwriteTest {
  @TempDir Path tmp;
  private Path src;
  private Path target;
  private Path restoreDir;
  private Cli cli;

  @BeforeEach
  void backUpAndRestoreOnce() {
    Random random = new Random(42);
    src = tmp.resolve("src");
    Trees.randomFile(src.resolve("a.bin"), random, 10_000);
    Trees.randomFile(src.resolve("dir/b.bin"), random, 3_000);
    target = tmp.resolve("target");
    restoreDir = tmp.resolve("restore");
    cli = new Cli(tmp.resolve("state"));
    Cli.Result backup = cli.run("backup", "--to", target.toString(), src.toString());
    assertThat(backup.exitCode()).as(backup.toString()).isZero();
    Cli.Result first = restore();
    assertThat(first.exitCode()).as(first.toString()).isZero();
  }

  @Test
  void refusesToOverwriteAndLeavesTheTargetAsItWas() throws IOException {
    Path changed = Trees.restored(restoreDir, src).resolve("dir/b.bin");
    Files.writeString(changed, "edited since the backup");
    Map<String, Trees.Node> before = Trees.snapshot(restoreDir);

    Cli.Result r = restore();

    assertThat(r.exitCode()).as(r.toString()).isEqualTo(1);
    assertThat(r.err()).contains("refusing to overwrite").contains("--overwrite");
    assertThat(changed).hasContent("edited since the backup");
    assertThat(Trees.snapshot(restoreDir)).as("target, no staging left").isEqualTo(before);
  }

  @Test
  void overwriteReplacesExistingFiles() throws IOException {
    Path changed = Trees.restored(restoreDir, src).resolve("dir/b.bin");
    Files.writeString(changed, "edited since the backup");

    Cli.Result r = restore("--overwrite");

    assertThat(r.exitCode()).as(r.toString()).isZero();
    Trees.assertSameTree(src, Trees.restored(restoreDir, src));
    assertThat(Trees.list(restoreDir)).as("no staging left").containsExactly(src.getName(0).toString());
  }

  private Cli.Result restore(String... extra) {
    String[] args = {"restore", "--from", target.toString(), "latest", "--target", restoreDir.toString()};
    String[] all = new String[args.length + extra.length];
    System.arraycopy(args, 0, all, 0, args.length);
    System.arraycopy(extra, 0, all, args.length, extra.length);
    return cli.run(all);
  }
}
