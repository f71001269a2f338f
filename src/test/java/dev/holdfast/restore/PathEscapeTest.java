package dev.holdfast.restore;

import static org.assertj.core.api.Assertions.assertThat;

import dev.holdfast.testkit.Cli;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hand-crafted hostile archives (as another tool or an attacker could write them) dropped into a
 * target: restore refuses each with exit 1 and a message naming the entry, writes nothing outside
 * the restore directory and leaves nothing inside it (the staging directory is removed).
 */
class PathEscapeTest {
  @TempDir Path tmp;
  private Path world;
  private Path outside;
  private Path restoreDir;
  private Cli cli;

  /** One tar entry: a file with content, or a symlink/hard link with a target. */
  private record Spec(String name, byte type, String content) {
    static Spec file(String name, String content) {
      return new Spec(name, TarConstants.LF_NORMAL, content);
    }

    static Spec symlink(String name, String target) {
      return new Spec(name, TarConstants.LF_SYMLINK, target);
    }

    static Spec hardlink(String name, String target) {
      return new Spec(name, TarConstants.LF_LINK, target);
    }
  }

  @BeforeEach
  void setUp() throws IOException {
    world = tmp.resolve("world");
    outside = Files.createDirectories(world.resolve("outside"));
    // two levels deep, so "../evil" and "a/../../evil" would land inside world/, where we look
    restoreDir = Files.createDirectories(world.resolve("a/b/restore"));
    cli = new Cli(tmp.resolve("state"));
  }

  @Test
  void refusesDotDot() throws IOException {
    assertRefused("../evil", Spec.file("../evil", "evil"));
  }

  @Test
  void refusesAbsolutePaths() throws IOException {
    String abs = outside.resolve("abs-evil").toString();
    assertRefused(abs, Spec.file(abs, "evil"));
  }

  @Test
  void refusesDotDotInsideAPath() throws IOException {
    assertRefused("a/../../evil", Spec.file("fine.txt", "fine"), Spec.file("a/../../evil", "evil"));
  }

  @Test
  void refusesWritingThroughASymlinkFromTheSameArchive() throws IOException {
    assertRefused("link/evil", Spec.symlink("link", outside.toString()), Spec.file("link/evil", "evil"));
  }

  @Test
  void refusesHardLinksOutOfTheTarget() throws IOException {
    assertRefused("../../etc/passwd", Spec.file("ok.txt", "fine"), Spec.hardlink("hl", "../../etc/passwd"));
  }

  @Test
  void aFileReplacingASymlinkIsNotWrittenThroughIt() throws IOException {
    // the symlink once stayed in staging and the file's bytes went to where it pointed
    Path victim = outside.resolve("pwned");
    Path target = craft(Spec.symlink("f", victim.toString()), Spec.file("f", "later entry wins"));
    Cli.Result r = cli.run("restore", "--from", target.toString(), "latest", "--target", restoreDir.toString());
    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(victim).doesNotExist();
    assertThat(outside).isEmptyDirectory();
    Path f = restoreDir.resolve("f");
    assertThat(Files.isSymbolicLink(f)).isFalse();
    assertThat(f).hasContent("later entry wins");
  }

  @Test
  void aFileReplacingAHardLinkLeavesTheOtherNameAlone() throws IOException {
    // the second content once went into the shared inode, changing 'a' too
    Path target = craft(Spec.file("a", "original"), Spec.hardlink("h", "a"), Spec.file("h", "replacement"));
    Cli.Result r = cli.run("restore", "--from", target.toString(), "latest", "--target", restoreDir.toString());
    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(restoreDir.resolve("a")).hasContent("original");
    assertThat(restoreDir.resolve("h")).hasContent("replacement");
  }

  private void assertRefused(String entryName, Spec... entries) throws IOException {
    Path target = craft(entries);
    List<String> before = everything(world);

    Cli.Result r = cli.run("restore", "--from", target.toString(), "latest", "--target", restoreDir.toString());

    assertThat(r.exitCode()).as(r.toString()).isEqualTo(1);
    assertThat(r.err()).as(r.toString()).contains("error: refusing to restore").contains("'" + entryName + "'");
    assertThat(r.err()).doesNotContain("Exception");
    assertThat(restoreDir).as("restore directory, staging included").isEmptyDirectory();
    assertThat(everything(world)).as("files anywhere near the restore").isEqualTo(before);
    assertThat(Files.exists(Path.of("/etc/passwd"), LinkOption.NOFOLLOW_LINKS)).isTrue();
  }

  /** Writes the entries as a gzipped tar, named like a script's backup, into a target of its own. */
  private Path craft(Spec... entries) throws IOException {
    Path target = Files.createDirectories(tmp.resolve("target"));
    Path file = target.resolve("2025-01-01_0000-crafted.tar.gz");
    try (OutputStream raw = Files.newOutputStream(file);
        TarArchiveOutputStream tar = new TarArchiveOutputStream(new GZIPOutputStream(raw), "UTF-8")) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      for (Spec s : entries) {
        TarArchiveEntry e = new TarArchiveEntry(s.name(), s.type(), true); // keep absolute names as given
        if (s.type() == TarConstants.LF_NORMAL) {
          byte[] bytes = s.content().getBytes(StandardCharsets.UTF_8);
          e.setSize(bytes.length);
          tar.putArchiveEntry(e);
          tar.write(bytes);
        } else {
          e.setLinkName(s.content());
          tar.putArchiveEntry(e);
        }
        tar.closeArchiveEntry();
      }
    }
    return target;
  }

  private static List<String> everything(Path root) throws IOException {
    try (Stream<Path> s = Files.walk(root)) {
      return s.map(p -> root.relativize(p).toString()).sorted().toList();
    }
  }
}
