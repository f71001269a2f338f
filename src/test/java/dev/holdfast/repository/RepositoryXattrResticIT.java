package dev.holdfast.repository;

import static dev.holdfast.testkit.XattrTree.getfacl;
import static dev.holdfast.testkit.XattrTree.setUserXattr;
import static dev.holdfast.testkit.XattrTree.userXattr;
import static org.assertj.core.api.Assertions.assertThat;

import dev.holdfast.testkit.Cli;
import dev.holdfast.testkit.Processes;
import dev.holdfast.testkit.XattrTree;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Extended attributes and POSIX ACLs (set with the real setfacl) in repository snapshots, both ways
 * with the real restic: what holdfast backs up restic restores, what restic backs up holdfast
 * restores, and an unchanged file keeps them in the next snapshot.
 */
class RepositoryXattrResticIT {
  private static final String PASSWORD = "xattr-test";

  @TempDir Path tmp;
  Path src;
  Cli cli;

  @BeforeEach
  void tree() throws Exception {
    src = XattrTree.create(tmp.resolve("src"));
    cli = new Cli(tmp.resolve("state")).env("HOLDFAST_PASSWORD", PASSWORD);
  }

  @Test
  void resticRestoresTheAttributesWeStoredAndWeRestoreTheirs() throws Exception {
    Path repo = tmp.resolve("repo");
    assertThat(cli.run("init", "--to", repo.toString(), "--format", "repository").exitCode()).isZero();
    Cli.Result backup = cli.run("backup", "--to", repo.toString(), src.toString());
    assertThat(backup.exitCode()).as(backup.toString()).isZero();
    var restic = new ResticCli(repo, PASSWORD, tmp);
    restic.check("check", "--read-data");

    Path byRestic = tmp.resolve("by-restic");
    restic.check("restore", "latest", "--target", byRestic.toString());
    assertSameAttributes(byRestic.resolve(src.toString().substring(1)));

    Path byUs = tmp.resolve("by-us");
    Cli.Result restore = cli.run("restore", "--from", repo.toString(), "latest", "--target", byUs.toString());
    assertThat(restore.exitCode()).as(restore.toString()).isZero();
    assertSameAttributes(byUs.resolve(src.toString().substring(1)));

    // a second backup finds every file unchanged and keeps their attributes from the first
    Cli.Result again = cli.run("backup", "--to", repo.toString(), src.toString());
    assertThat(again.exitCode()).as(again.toString()).isZero();
    Path second = tmp.resolve("second");
    assertThat(cli.run("restore", "--from", repo.toString(), "latest", "--target", second.toString()).exitCode()).isZero();
    assertSameAttributes(second.resolve(src.toString().substring(1)));

    // restic's own snapshot of the tree, restored by holdfast
    restic.check("backup", "--tag", "by-restic", src.toString());
    String resticId = restic.check("snapshots", "--json", "--tag", "by-restic").replaceAll("(?s).*\"id\":\"([0-9a-f]{64})\".*", "$1");
    Path theirs = tmp.resolve("theirs");
    Cli.Result fromRestic = cli.run("restore", "--from", repo.toString(), resticId, "--target", theirs.toString());
    assertThat(fromRestic.exitCode()).as(fromRestic.toString()).isZero();
    assertSameAttributes(theirs.resolve(src.toString().substring(1)));
  }

  @Test
  void changedAttributesMakeANewNode() throws Exception {
    Path repo = tmp.resolve("repo");
    assertThat(cli.run("init", "--to", repo.toString(), "--format", "repository").exitCode()).isZero();
    assertThat(cli.run("backup", "--to", repo.toString(), src.toString()).exitCode()).isZero();
    setUserXattr(src.resolve("note.txt"), "note", "changed"); // the ctime changes, the content does not
    Processes.check(src, "setfacl", "-b", src.resolve("shared.txt").toString());
    assertThat(cli.run("backup", "--to", repo.toString(), src.toString()).exitCode()).isZero();
    Path out = tmp.resolve("out");
    assertThat(cli.run("restore", "--from", repo.toString(), "latest", "--target", out.toString()).exitCode()).isZero();
    Path restored = out.resolve(src.toString().substring(1));
    assertThat(userXattr(restored.resolve("note.txt"), "note")).isEqualTo("changed");
    assertThat(getfacl(restored, "shared.txt")).doesNotContain("nobody");
  }

  private void assertSameAttributes(Path restored) throws Exception {
    assertThat(userXattr(restored.resolve("note.txt"), "note")).isEqualTo("hello");
    assertThat(userXattr(restored.resolve("note.txt"), "empty")).isEmpty();
    assertThat(userXattr(restored.resolve("dir"), "kind")).isEqualTo("folder");
    assertThat(getfacl(restored, "shared.txt", "dir", "dir/plain.txt"))
        .isEqualTo(getfacl(src, "shared.txt", "dir", "dir/plain.txt"))
        .contains("user:nobody:r--", "default:user:nobody:r-x");
  }
}
