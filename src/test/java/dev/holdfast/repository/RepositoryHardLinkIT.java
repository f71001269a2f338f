package dev.holdfast.repository;

import static org.assertj.core.api.Assertions.assertThat;

import dev.holdfast.testkit.Cli;
import dev.holdfast.testkit.Trees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hard links in a repository, judged by the real restic binary: the names of one inode are stored
 * with its inode, device and link count, and come back linked, whether we or restic restore them,
 * and whichever of the two made the snapshot.
 */
class RepositoryHardLinkIT {
  private static final String PASSWORD = "correct horse battery staple";

  @TempDir Path tmp;

  /** A tree with one file under three names (two directories), and a plain file beside it. */
  private Path tree() throws IOException {
    Path src = tmp.resolve("data/src");
    Files.createDirectories(src.resolve("a"));
    Files.createDirectories(src.resolve("b"));
    Trees.randomFile(src.resolve("a/first.bin"), new Random(3), 1_500_000);
    Files.createLink(src.resolve("a/second.bin"), src.resolve("a/first.bin"));
    Files.createLink(src.resolve("b/third.bin"), src.resolve("a/first.bin"));
    Files.writeString(src.resolve("b/plain.txt"), "not linked\n");
    return src;
  }

  private static Object inode(Path p) throws IOException {
    return Files.getAttribute(p, "unix:ino", LinkOption.NOFOLLOW_LINKS);
  }

  private static void assertLinked(Path restored, Path src) throws IOException {
    Path first = restored.resolve("a/first.bin");
    assertThat(Files.readAllBytes(first)).isEqualTo(Files.readAllBytes(src.resolve("a/first.bin")));
    assertThat(inode(restored.resolve("a/second.bin"))).as("a/second.bin is a link to a/first.bin").isEqualTo(inode(first));
    assertThat(inode(restored.resolve("b/third.bin"))).as("b/third.bin is a link to a/first.bin").isEqualTo(inode(first));
    assertThat(Files.getAttribute(first, "unix:nlink")).isEqualTo(3);
    assertThat(inode(restored.resolve("b/plain.txt"))).isNotEqualTo(inode(first));
    assertThat(Files.readString(restored.resolve("b/plain.txt"))).isEqualTo("not linked\n");
  }

  private Cli.Result ok(Cli.Result r) {
    assertThat(r.exitCode()).as(r.toString()).isZero();
    return r;
  }

  @Test
  void ourSnapshotRestoresLinkedByUsAndByRestic() throws Exception {
    Path src = tree();
    Path repo = tmp.resolve("repo");
    Cli cli = new Cli(tmp.resolve("state")).env("HOLDFAST_PASSWORD", PASSWORD);
    ok(cli.run("init", "--to", repo.toString(), "--format", "repository"));
    ok(cli.run("backup", "--to", repo.toString(), src.toString()));

    Path ours = tmp.resolve("ours");
    ok(cli.run("restore", "--from", repo.toString(), "latest", "--target", ours.toString()));
    assertLinked(ours.resolve(src.toString().substring(1)), src);

    var restic = new ResticCli(repo, PASSWORD, tmp);
    assertThat(restic.check("check", "--read-data")).contains("no errors were found");
    Path theirs = tmp.resolve("theirs");
    restic.check("restore", "latest", "--target", theirs.toString());
    assertLinked(theirs.resolve(src.toString().substring(1)), src);

    // --include of one later name alone restores it as a plain file with the content
    Path one = tmp.resolve("one");
    ok(cli.run("restore", "--from", repo.toString(), "latest", "--target", one.toString(),
        "--include", src.toString().substring(1) + "/b/third.bin"));
    Path third = one.resolve(src.toString().substring(1)).resolve("b/third.bin");
    assertThat(Files.readAllBytes(third)).isEqualTo(Files.readAllBytes(src.resolve("a/first.bin")));
    assertThat(Files.getAttribute(third, "unix:nlink")).isEqualTo(1);
  }

  @Test
  void resticsSnapshotRestoresLinkedByUs() throws Exception {
    Path src = tree();
    Path repo = tmp.resolve("restic-repo");
    var restic = new ResticCli(repo, PASSWORD, tmp);
    restic.check("init");
    restic.check("backup", src.toString());

    Cli cli = new Cli(tmp.resolve("state")).env("HOLDFAST_PASSWORD", PASSWORD);
    Path ours = tmp.resolve("ours");
    ok(cli.run("restore", "--from", repo.toString(), "latest", "--target", ours.toString()));
    assertLinked(ours.resolve(src.toString().substring(1)), src);
  }
}
