package dev.holdfast.mirror;

import static dev.holdfast.testkit.XattrTree.getfacl;
import static dev.holdfast.testkit.XattrTree.setUserXattr;
import static dev.holdfast.testkit.XattrTree.userXattr;
import static org.assertj.core.api.Assertions.assertThat;

import dev.holdfast.testkit.Cli;
import dev.holdfast.testkit.Processes;
import dev.holdfast.testkit.XattrTree;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code holdfast mirror --xattrs}: extended attributes and POSIX ACLs (set with the real setfacl)
 * copied, updated and removed, judged by {@code rsync -aniHAX}, which compares both.
 */
class MirrorXattrIT {
  @TempDir Path tmp;
  Path src;
  Cli cli;

  @BeforeEach
  void tree() throws Exception {
    src = XattrTree.create(tmp.resolve("src"));
    Files.writeString(src.resolve("dir/read-only.txt"), "attribute on a read-only file");
    setUserXattr(src.resolve("dir/read-only.txt"), "origin", "scanner");
    Files.setAttribute(src.resolve("dir/read-only.txt"), "unix:mode", 0444);
    Files.createSymbolicLink(src.resolve("link"), Path.of("note.txt"));
    cli = new Cli(tmp.resolve("state"));
  }

  @Test
  void attributesAndAclsAreCopiedUpdatedAndRemoved() throws Exception {
    Path dest = tmp.resolve("dest");
    Cli.Result r = cli.run("mirror", "--xattrs", src.toString(), "--to", dest.toString());
    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(rsyncAX(src, dest)).isEmpty();
    assertThat(getfacl(dest, "shared.txt", "dir")).isEqualTo(getfacl(src, "shared.txt", "dir")).contains("user:nobody:r--");
    assertThat(userXattr(dest.resolve("dir/read-only.txt"), "origin")).isEqualTo("scanner");

    Cli.Result again = cli.run("-v", "mirror", "-X", src.toString(), "--to", dest.toString());
    assertThat(again.out()).as("an unchanged re-run itemizes nothing").isEmpty();

    setUserXattr(src.resolve("note.txt"), "note", "changed");
    setUserXattr(src.resolve("dir"), "kind", "another folder");
    Processes.check(src, "setfacl", "-b", src.resolve("shared.txt").toString());
    Files.setAttribute(src.resolve("dir/read-only.txt"), "unix:mode", 0644);
    Files.getFileAttributeView(src.resolve("dir/read-only.txt"), UserDefinedFileAttributeView.class).delete("origin");
    Files.setAttribute(src.resolve("dir/read-only.txt"), "unix:mode", 0444);

    Cli.Result dry = cli.run("-v", "mirror", "-X", "--dry-run", src.toString(), "--to", dest.toString());
    assertThat(dry.exitCode()).as(dry.toString()).isZero();
    assertThat(dry.out()).contains(".f........x note.txt", ".f.......a. shared.txt", ".d........x dir/",
        ".f........x dir/read-only.txt");
    assertThat(rsyncAX(src, dest)).as("the dry run changed nothing").isNotEmpty();

    Cli.Result update = cli.run("-v", "mirror", "-X", src.toString(), "--to", dest.toString());
    assertThat(update.exitCode()).as(update.toString()).isZero();
    assertThat(update.out()).as("what the dry run predicted").isEqualTo(dry.out().replaceAll("(?m)^dry run:.*\n", ""));
    assertThat(rsyncAX(src, dest)).isEmpty();
    assertThat(userXattr(dest.resolve("note.txt"), "note")).isEqualTo("changed");
    assertThat(getfacl(dest, "shared.txt")).doesNotContain("nobody");
  }

  @Test
  void asAUserTheSameAttributesAreCopied() throws Exception {
    // a read-only directory with an access ACL: the walk makes it writable for its entries, and that
    // chmod rewrites the ACL's owner entry, which must not look like a change on the next run
    Path locked = Files.createDirectories(src.resolve("locked"));
    Files.writeString(locked.resolve("inside.txt"), "in a read-only directory");
    Processes.check(src, "setfacl", "-m", "u:nobody:rx", locked.toString());
    Files.setAttribute(locked, "unix:mode", 0555);
    Path dest = tmp.resolve("dest-user");
    assertThat(mirrorAsUser(dest)).contains("cd+++++++++ locked/");
    assertThat(rsyncAX(src, dest)).isEmpty();
    assertThat(mirrorAsUser(dest)).as("an unchanged re-run itemizes nothing").isEmpty();
    assertThat(rsyncAX(src, dest)).isEmpty();
    assertThat(getfacl(dest, "locked")).isEqualTo(getfacl(src, "locked"));
  }

  private List<String> mirrorAsUser(Path dest) {
    List<String> lines = new java.util.ArrayList<>();
    MirrorRequest req = new MirrorRequest(List.of(src), dest.toString(), true, false, null, new ExcludeRules(List.of()),
        false, true);
    try (LocalTree tree = new LocalTree(dest)) {
      new Mirror(req, tree, lines::add, false).run();
    }
    return lines;
  }

  @Test
  void withoutTheOptionAttributesStayBehind() throws Exception {
    Path dest = tmp.resolve("plain");
    assertThat(cli.run("mirror", src.toString(), "--to", dest.toString()).exitCode()).isZero();
    assertThat(MirrorRsyncIT.rsync(src, dest)).as("rsync -a finds nothing").isEmpty();
    assertThat(rsyncAX(src, dest)).as("rsync -AX does").contains("note.txt", "shared.txt");
  }

  @Test
  void anSftpDestinationIsRefusedBeforeConnecting() {
    Cli.Result r = cli.run("mirror", "--xattrs", src.toString(), "--to", "sftp://backup@127.0.0.1:1/mirror");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains("--xattrs needs a local destination");
  }

  @Test
  void aMirrorJobTakesXattrsFromTheConfig() throws Exception {
    Path dest = tmp.resolve("job-dest");
    Path config = Files.writeString(tmp.resolve("holdfast.yaml"), """
        jobs:
          usb:
            format: mirror
            sources: [%s]
            target: %s
            xattrs: true
        """.formatted(src, dest));
    Cli.Result run = cli.run("--config", config.toString(), "run", "usb");
    assertThat(run.exitCode()).as(run.toString()).isZero();
    assertThat(rsyncAX(src, dest)).isEmpty();
  }

  private static String rsyncAX(Path from, Path to) {
    return MirrorRsyncIT.rsync(from, to, "-AX");
  }
}
