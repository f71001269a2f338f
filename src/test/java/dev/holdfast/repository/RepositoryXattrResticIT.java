package dev.holdfast.repository;

import static dev.holdfast.testkit.XattrTree.getfacl;
import static dev.holdfast.testkit.XattrTree.setUserXattr;
import static dev.holdfast.testkit.XattrTree.userXattr;
import static org.assertj.core.api.Assertions.assertThat;

import dev.holdfast.testkit.Cli;
import dev.holdfast.testkit.Processes;
import dev.holdfast.testkit.XattrTree;
import java.nio.file.Path;
import java.util.List;
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

  @Test
  void aParentThatDidNotStoreThemDoesNotHideThemFromUnchangedFiles() throws Exception {
    Path repoDir = tmp.resolve("repo");
    // the first snapshot, as a writer that stores no extended attributes made it (an older holdfast,
    // whose program version carries no mark)
    try (var backend = new dev.holdfast.backend.LocalBackend(repoDir);
        var repo = Repository.init(backend, PASSWORD, 0x3DA3358B4DC173L, new KdfParams(16384, 8, 1))) {
      snapshot(repo, "older-writer 0.0.1", true);
    }
    String first;
    try (var backend = new dev.holdfast.backend.LocalBackend(repoDir); var repo = Repository.open(backend, PASSWORD)) {
      first = repo.listSnapshots().get(0).id().hex();
      Node before = node(repo, repo.listSnapshots().get(0).snapshot().tree(), "note.txt");
      assertThat(before.extendedAttributes()).as("the parent stored none").isNull();
      assertThat(repo.listSnapshots().get(0).snapshot().programVersion()).isEqualTo("older-writer 0.0.1");
      // the next backup finds every file unchanged; their attributes are read all the same
      snapshot(repo, "holdfast test", false);
    }
    try (var backend = new dev.holdfast.backend.LocalBackend(repoDir); var repo = Repository.open(backend, PASSWORD)) {
      StoredSnapshot latest = repo.listSnapshots().stream().filter(sn -> !sn.id().hex().equals(first)).findFirst().orElseThrow();
      assertThat(latest.snapshot().parent().hex()).isEqualTo(first);
      assertThat(latest.snapshot().programVersion()).isEqualTo("holdfast test" + RepositoryWriter.XATTRS_MARK);
      assertThat(node(repo, latest.snapshot().tree(), "note.txt").extendedAttributeMap()).containsKeys("user.note", "user.empty");
      assertThat(node(repo, latest.snapshot().tree(), "shared.txt").extendedAttributeMap()).containsKey("system.posix_acl_access");
    }
  }

  /** Backs up src; {@code withoutXattrs}: as a writer that reads none (its entries name no file on disk). */
  private void snapshot(Repository repo, String version, boolean withoutXattrs) throws Exception {
    var info = new RepositoryWriter.SnapshotInfo(List.of(src.toString()), "host", "user", List.of(),
        java.time.OffsetDateTime.now(), version);
    try (var writer = new RepositoryWriter(repo, info);
        var entries = dev.holdfast.source.PathSource.of(List.of(src.toString())).entries(dev.holdfast.event.EventSink.NONE)) {
      entries.map(e -> withoutXattrs ? new dev.holdfast.source.Entry(e.path(), e.kind(), e.size(), e.mode(), e.mtime(), e.uid(),
          e.gid(), e.owner(), e.group(), e.linkTarget(), e.content(), e.inode(), e.device(), e.ctime(), e.links(), null) : e)
          .forEach(writer::add);
      writer.finish();
    }
  }

  /** The node of {@code name} in the directory of src inside the snapshot tree {@code root}. */
  private Node node(Repository repo, ObjectId root, String name) {
    ObjectId tree = root;
    for (Path part : src) {
      String dir = part.toString();
      tree = repo.loadTree(tree).nodes().stream().filter(n -> n.name().equals(dir)).findFirst().orElseThrow().subtree();
    }
    return repo.loadTree(tree).nodes().stream().filter(n -> n.name().equals(name)).findFirst().orElseThrow();
  }
}
