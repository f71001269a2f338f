package dev.holdfast.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import dev.holdfast.testkit.AwkwardTree;
import dev.holdfast.testkit.Cli;
import dev.holdfast.testkit.Processes;
import dev.holdfast.testkit.Trees;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code holdfast mirror} judged by rsync: after a mirror, {@code rsync -aniH --delete} has nothing to do. */
class MirrorRsyncIT {
  @TempDir Path tmp;
  Path src;
  Path dest;
  Cli cli;

  @BeforeEach
  void tree() throws Exception {
    src = AwkwardTree.create(tmp.resolve("src"), 11).root();
    // sub-second mtimes, kept to the nanosecond as rsync -a does
    Files.setLastModifiedTime(src.resolve("data/size-1.bin"), FileTime.from(Instant.parse("2024-03-01T10:00:00.123456789Z")));
    dest = tmp.resolve("dest");
    cli = new Cli(tmp.resolve("state"));
  }

  @Test
  void aMirroredAwkwardTreeLeavesRsyncNothingToDo() throws Exception {
    Cli.Result r = cli.run("mirror", src.toString(), "--to", dest.toString());
    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.err()).containsPattern("SUCCESS: mirror mirror to " + dest + " \\(\\d+ copied, 0 deleted, .* s\\)");
    assertThat(rsync(src, dest)).isEmpty();
    assertThat(Files.getLastModifiedTime(dest.resolve("data/size-1.bin")))
        .isEqualTo(FileTime.from(Instant.parse("2024-03-01T10:00:00.123456789Z")));
    assertThat(Trees.inode(dest.resolve("hard/first.bin"))).isEqualTo(Trees.inode(dest.resolve("hard/sub/second-name.bin")));
    assertThat(Files.readSymbolicLink(dest.resolve("links/dangling"))).isEqualTo(Path.of("no/such/file"));

    Cli.Result again = cli.run("-v", "mirror", src.toString(), "--to", dest.toString());
    assertThat(again.exitCode()).as(again.toString()).isZero();
    assertThat(again.out()).as("an unchanged re-run itemizes nothing").isEmpty();
    assertThat(again.err()).contains("(0 copied, 0 deleted, 0 B");
    Cli.Result history = cli.run("--json", "history");
    assertThat(history.out()).contains("\"SUCCESS\"");

    Files.writeString(src.resolve("data/size-0.bin"), "json run");
    Cli.Result json = cli.run("--json", "mirror", src.toString(), "--to", dest.toString());
    assertThat(json.exitCode()).as(json.toString()).isZero();
    var node = new com.fasterxml.jackson.databind.ObjectMapper().readTree(json.out());
    assertThat(node.get("status").asText()).isEqualTo("SUCCESS");
    assertThat(node.get("copied").asLong()).isEqualTo(1);
    assertThat(node.get("bytes").asLong()).isEqualTo("json run".length());
    assertThat(node.get("exit_code").asInt()).isZero();
  }

  @Test
  void changesAreItemizedAndBroughtOver() throws Exception {
    assertThat(cli.run("mirror", src.toString(), "--to", dest.toString()).exitCode()).isZero();
    Files.writeString(src.resolve("data/size-0.bin"), "now with content");
    Files.setAttribute(src.resolve("modes/script-0755"), "unix:mode", 0750);
    Files.writeString(src.resolve("new file.txt"), "new");
    Cli.Result r = cli.run("-v", "mirror", src.toString(), "--to", dest.toString());
    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.out()).contains(">f.st...... data/size-0.bin", ".f...p..... modes/script-0755",
        ">f+++++++++ new file.txt", ".d..t...... ./");
    assertThat(rsync(src, dest)).isEmpty();
  }

  @Test
  void aDryRunListsEverythingAndChangesNothing() throws Exception {
    Cli.Result fresh = cli.run("mirror", "--dry-run", src.toString(), "--to", dest.toString());
    assertThat(fresh.exitCode()).as(fresh.toString()).isZero();
    assertThat(dest).doesNotExist();
    assertThat(fresh.out()).contains("cd+++++++++ ./", ">f+++++++++ data/size-512.bin",
        "cL+++++++++ links/relative -> ../data/size-512.bin", "hf+++++++++ hard/sub/second-name.bin => hard/first.bin",
        "cd+++++++++ empty/nested/deeper/", "nothing changed");

    assertThat(cli.run("mirror", src.toString(), "--to", dest.toString()).exitCode()).isZero();
    Files.writeString(dest.resolve("extraneous"), "x");
    Files.delete(src.resolve("data/size-513.bin"));
    Files.writeString(src.resolve("data/size-1.bin"), "changed!");
    Map<String, Trees.Node> before = Trees.snapshot(dest);
    List<String> nanosBefore = nanos(dest);
    Cli.Result dry = cli.run("mirror", "-n", "--delete", "--backup-dir", "old/{date}", src.toString(), "--to", dest.toString());
    assertThat(dry.exitCode()).as(dry.toString()).isZero();
    assertThat(dry.out()).contains("*deleting   extraneous", "*deleting   data/size-513.bin", ">f.st...... data/size-1.bin");
    assertThat(Trees.snapshot(dest)).isEqualTo(before);
    assertThat(nanos(dest)).isEqualTo(nanosBefore);
    // rsync's own dry run itemizes the same changes
    String theirs = rsync(src, dest);
    assertThat(theirs).contains("*deleting   extraneous", "*deleting   data/size-513.bin", ">f.st...... data/size-1.bin");
  }

  /**
   * A dry run itemizes what the real run then does, line for line: here a changed file whose other
   * name (a hard link) must be linked anew, and the directory times the changes touch.
   */
  @Test
  void aDryRunPredictsTheRealRunLineForLine() throws Exception {
    assertThat(cli.run("mirror", src.toString(), "--to", dest.toString()).exitCode()).isZero();
    Files.writeString(src.resolve("hard/first.bin"), "rewritten, so its second name is linked again");
    Files.writeString(src.resolve("data/new.txt"), "new");
    Files.delete(src.resolve("data/size-513.bin"));
    Files.writeString(dest.resolve("modes/.script-0755.holdfast-tmp-killed"), "left by a killed run");
    Cli.Result dry = cli.run("mirror", "-n", "--delete", src.toString(), "--to", dest.toString());
    assertThat(dry.exitCode()).as(dry.toString()).isZero();
    Cli.Result real = cli.run("-v", "mirror", "--delete", src.toString(), "--to", dest.toString());
    assertThat(real.exitCode()).as(real.toString()).isZero();
    assertThat(dry.out().lines().filter(l -> !l.startsWith("dry run:")).toList())
        .contains("hf+++++++++ hard/sub/second-name.bin => hard/first.bin", ".d..t...... data/", ".d..t...... modes/")
        .isEqualTo(real.out().lines().toList());
    assertThat(rsync(src, dest)).isEmpty();
  }

  @Test
  void deleteWithABackupDirMovesReplacedAndDeletedFilesThere() throws Exception {
    assertThat(cli.run("mirror", src.toString(), "--to", dest.toString()).exitCode()).isZero();
    String oldContent = Trees.sha256(src.resolve("data/size-511.bin"));
    Files.writeString(src.resolve("data/size-511.bin"), "replaced");
    Files.delete(src.resolve("data/size-513.bin"));
    Trees.randomFile(tmp.resolve("gone"), new Random(1), 10);
    Files.createDirectories(dest.resolve("stale-dir/sub"));
    Files.writeString(dest.resolve("stale-dir/sub/f"), "x");

    Cli.Result r = cli.run("-v", "mirror", "--delete", "--backup-dir", ".deleted/{date}", src.toString(), "--to", dest.toString());
    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.out()).contains("*deleting   stale-dir/", "*deleting   data/size-513.bin");
    assertThat(r.err()).contains("2 deleted");
    Path backup = dest.resolve(".deleted").resolve(LocalDate.now().toString());
    assertThat(Trees.sha256(backup.resolve("data/size-511.bin"))).isEqualTo(oldContent);
    assertThat(backup.resolve("data/size-513.bin")).exists();
    assertThat(backup.resolve("stale-dir/sub/f")).hasContent("x");
    assertThat(dest.resolve("data/size-513.bin")).doesNotExist();
    assertThat(rsync(src, dest, "--exclude=/.deleted")).isEmpty();

    Files.delete(src.resolve("data/size-512.bin"));
    Cli.Result plain = cli.run("mirror", "--delete", src.toString(), "--to", dest.toString());
    assertThat(plain.exitCode()).as(plain.toString()).isZero();
    assertThat(dest.resolve(".deleted")).as("extraneous without --backup-dir: deleted").doesNotExist();
    assertThat(dest.resolve("data/size-512.bin")).doesNotExist();
    assertThat(rsync(src, dest)).isEmpty();
  }

  @Test
  void withoutDeleteExtraneousFilesStay() throws Exception {
    assertThat(cli.run("mirror", src.toString(), "--to", dest.toString()).exitCode()).isZero();
    Files.writeString(dest.resolve("mine"), "keep");
    assertThat(cli.run("mirror", src.toString(), "--to", dest.toString()).exitCode()).isZero();
    assertThat(dest.resolve("mine")).hasContent("keep");
  }

  @Test
  void excludesFollowRsyncRules() throws Exception {
    Files.writeString(src.resolve("data/x.tmp"), "t");
    Files.createDirectories(src.resolve("data/cache"));
    Files.writeString(src.resolve("data/cache/c"), "c");
    Files.writeString(src.resolve("cache"), "a file named cache stays");
    Files.writeString(src.resolve("top-only"), "t");
    Files.writeString(src.resolve("data/top-only"), "kept: not at the root");
    Path list = tmp.resolve("excludes.txt");
    Files.writeString(list, "# comment\n/top-only\n");
    Cli.Result r = cli.run("mirror", src.toString(), "--to", dest.toString(), "--exclude", "*.tmp", "--exclude", "cache/",
        "--exclude-from", list.toString());
    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(dest.resolve("data/x.tmp")).doesNotExist();
    assertThat(dest.resolve("data/cache")).doesNotExist();
    assertThat(dest.resolve("cache")).exists();
    assertThat(dest.resolve("top-only")).doesNotExist();
    assertThat(dest.resolve("data/top-only")).exists();
    assertThat(rsync(src, dest, "--exclude=*.tmp", "--exclude=cache/", "--exclude=/top-only")).isEmpty();
  }

  @Test
  void severalSourcesEachBecomeASubdirectory() throws Exception {
    Path other = tmp.resolve("other");
    Files.createDirectories(other);
    Files.writeString(other.resolve("o.txt"), "o");
    Cli.Result r = cli.run("mirror", src.toString(), other.toString(), "--to", dest.toString(), "--delete");
    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(rsync(src, dest.resolve("src"))).isEmpty();
    assertThat(rsync(other, dest.resolve("other"))).isEmpty();
  }

  /**
   * Copies run on worker threads: a read-only directory must get its mode and mtime only after its
   * files are in, a hard link must wait for its first copy, and (as root) a file landing in an
   * existing set-group-ID directory must still get the source's group.
   */
  @Test
  void manyFilesCopiedConcurrentlyLeaveRsyncNothingToDo() throws Exception {
    Path many = tmp.resolve("many");
    Random rnd = new Random(7);
    for (int d = 0; d < 4; d++) {
      Path dir = Files.createDirectories(many.resolve("dir-" + d));
      for (int i = 0; i < 150; i++) {
        byte[] data = new byte[rnd.nextInt(20_000)];
        rnd.nextBytes(data);
        Path f = Files.write(dir.resolve("f-" + i), data);
        Files.setAttribute(f, "unix:mode", i % 3 == 0 ? 0600 : i % 3 == 1 ? 0755 : 0644);
        if (i % 10 == 0 && d > 0) {
          Files.createLink(dir.resolve("link-" + i), many.resolve("dir-0/f-" + i)); // across directories
        }
      }
    }
    Files.setAttribute(many.resolve("dir-1"), "unix:mode", 0555);
    Path setgid = Files.createDirectories(many.resolve("setgid"));
    boolean root = "root".equals(System.getProperty("user.name"));
    if (root) {
      Files.setAttribute(setgid, "unix:gid", 4242);
      Files.setAttribute(setgid, "unix:mode", 02775);
    }
    try {
      assertThat(cli.run("mirror", many.toString(), "--to", dest.toString()).exitCode()).isZero();
      assertThat(rsync(many, dest)).isEmpty();
      assertThat(Trees.inode(dest.resolve("dir-3/link-20"))).isEqualTo(Trees.inode(dest.resolve("dir-0/f-20")));

      // new files into directories that now exist in DEST, the set-group-ID one among them
      Files.setAttribute(many.resolve("dir-1"), "unix:mode", 0755);
      for (int i = 0; i < 40; i++) {
        Files.writeString(setgid.resolve("new-" + i), "new " + i);
        Files.writeString(many.resolve("dir-1/new-" + i), "new " + i);
      }
      Files.setAttribute(many.resolve("dir-1"), "unix:mode", 0555);
      if (root) {
        assertThat(Files.getAttribute(setgid.resolve("new-0"), "unix:gid")).as("the source keeps its group").isEqualTo(4242);
        Files.setAttribute(setgid.resolve("new-0"), "unix:gid", 0);
      }
      Cli.Result again = cli.run("mirror", many.toString(), "--to", dest.toString());
      assertThat(again.exitCode()).as(again.toString()).isZero();
      assertThat(rsync(many, dest)).isEmpty();
    } finally {
      Files.setAttribute(many.resolve("dir-1"), "unix:mode", 0755);
      if (Files.exists(dest.resolve("dir-1"))) {
        Files.setAttribute(dest.resolve("dir-1"), "unix:mode", 0755);
      }
    }
  }

  @Test
  void aDestinationThatIsAFileIsRefusedAndKept() throws Exception {
    Path file = tmp.resolve("important.txt");
    Files.writeString(file, "not a mirror");
    for (String[] args : List.of(new String[] {"mirror", src.toString(), "--to", file.toString()},
        new String[] {"mirror", src.toString(), "--to", file.toString(), "--delete"})) {
      Cli.Result r = cli.run(args);
      assertThat(r.exitCode()).as(r.toString()).isEqualTo(2);
      assertThat(r.err()).contains("error: destination " + file + " exists and is not a directory");
    }
    assertThat(Files.readString(file)).isEqualTo("not a mirror");
  }

  @Test
  void aDestinationLinkToADirectoryIsFollowedAsRsyncDoes() throws Exception {
    Files.createDirectories(dest);
    Path link = Files.createSymbolicLink(tmp.resolve("usb"), dest);
    Cli.Result r = cli.run("mirror", src.toString(), "--to", link.toString());
    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(Files.isSymbolicLink(link)).isTrue();
    assertThat(rsync(src, dest)).isEmpty();
  }

  @Test
  void aSourceInsideOrEqualToTheDestinationIsRefusedAndLosesNothing() throws Exception {
    Map<String, Trees.Node> before = Trees.snapshot(src);
    for (String[] args : List.of(new String[] {"mirror", src.resolve("data").toString(), "--to", src.toString(), "--delete"},
        new String[] {"mirror", src.toString(), "--to", src.toString(), "--delete"},
        new String[] {"mirror", src.resolve("data").toString(), "--to", src.toString()})) {
      Cli.Result r = cli.run(args);
      assertThat(r.exitCode()).as(r.toString()).isEqualTo(2);
      assertThat(r.err()).containsPattern("error: source .* (lies inside|is) the destination");
    }
    assertThat(Trees.snapshot(src)).isEqualTo(before);
  }

  @Test
  void aSourceThatIsALinkIsCopiedAsALinkWhereverItPoints() throws Exception {
    Path dangling = Files.createSymbolicLink(tmp.resolve("dangling"), Path.of("no/such/target"));
    Files.createDirectories(dest);
    Path intoDest = Files.createSymbolicLink(tmp.resolve("into-dest"), dest); // the link lies outside DEST
    Cli.Result r = cli.run("mirror", dangling.toString(), intoDest.toString(), "--to", dest.toString());
    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(Files.readSymbolicLink(dest.resolve("dangling"))).isEqualTo(Path.of("no/such/target"));
    assertThat(Files.readSymbolicLink(dest.resolve("into-dest"))).isEqualTo(dest);
  }

  @Test
  void aDestinationInsideTheSourceIsLeftOutOfTheCopy() throws Exception {
    Path inside = src.resolve("backup/mirror");
    for (int run = 0; run < 2; run++) {
      Cli.Result r = cli.run("mirror", src.toString(), "--to", inside.toString(), "--delete");
      assertThat(r.exitCode()).as(r.toString()).isZero();
    }
    assertThat(inside.resolve("backup")).as("the copy holds no copy of itself").exists();
    assertThat(inside.resolve("backup/mirror")).doesNotExist();
    assertThat(rsync(src, inside, "--exclude=/backup/mirror")).isEmpty();
  }

  /** What {@code rsync -aniH --delete SRC/ DEST/} would still do (empty: DEST is a faithful copy). */
  static String rsync(Path from, Path to, String... extra) {
    List<String> cmd = new ArrayList<>(List.of("rsync", "-aniH", "--delete"));
    cmd.addAll(List.of(extra));
    cmd.add(from + "/");
    cmd.add(to + "/");
    Processes.Result r = Processes.run(from, cmd);
    assertThat(r.exitCode()).as(r.toString()).isZero();
    return r.out();
  }

  private static List<String> nanos(Path root) throws Exception {
    try (Stream<Path> s = Files.walk(root)) {
      List<String> out = new ArrayList<>();
      for (Path p : s.sorted().toList()) {
        out.add(root.relativize(p) + " " + Files.getAttribute(p, "unix:ctime", LinkOption.NOFOLLOW_LINKS)
            + " " + Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS));
      }
      return out;
    }
  }
}
