package dev.holdfast.restore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.holdfast.backend.LocalBackend;
import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import dev.holdfast.event.BackupEvent;
import dev.holdfast.repository.BlobType;
import dev.holdfast.repository.KdfParams;
import dev.holdfast.repository.Node;
import dev.holdfast.repository.ObjectId;
import dev.holdfast.repository.Repository;
import dev.holdfast.repository.RepositoryWriter;
import dev.holdfast.source.Entry;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pack-by-pack repository restore: shared and repeated blobs, empty files, metadata, and damage. */
class RepositoryRestoreTest {
  private static final String PASSWORD = "pw";
  private static final KdfParams FAST = new KdfParams(1024, 8, 1);
  private static final long POL = 0x3DA3358B4DC173L;
  private static final Instant T1 = Instant.parse("2024-02-03T04:05:06.123456789Z");
  private static final Instant T2 = Instant.parse("2023-01-01T00:00:00Z");

  @TempDir Path tmp;

  private final byte[] half = random(1, 6 << 20);
  private final byte[] repeated = concat(half, half); // its second half repeats the first half's chunks
  private final byte[] other = random(2, 12 << 20); // with the rest, more than one 16 MiB pack
  private final byte[] small = "small\n".getBytes(java.nio.charset.StandardCharsets.UTF_8);
  private final byte[] text = logText(3 << 20); // compressed blobs: decompressed into the workers' second buffer

  @Test
  void restoresSharedAndRepeatedBlobsEmptyFilesLinksAndMetadataByteForByte() throws IOException {
    Path repoDir = backup();
    List<BackupEvent> events = Collections.synchronizedList(new ArrayList<>());
    Path target = tmp.resolve("target");
    RestoreResult r;
    try (var repo = Repository.open(new LocalBackend(repoDir), PASSWORD)) {
      assertThat(Stream.of(repoDir.resolve("data").toFile().listFiles()).mapToLong(d -> d.list().length).sum())
          .as("packs").isGreaterThan(1);
      ObjectId snap = repo.listSnapshots().get(0).id();
      Node a = node(repo, snap, "a.bin");
      assertThat(a.content()).as("the second half's chunks are the first half's").hasSizeGreaterThan(
          (int) a.content().stream().distinct().count());
      Node sub = node(repo, snap, "sub");
      var inSub = repo.loadTree(sub.subtree()).nodes();
      ObjectId textBlob = inSub.stream().filter(n -> n.name().equals("log.txt")).findFirst().orElseThrow().content().get(0);
      ObjectId randomBlob = inSub.stream().filter(n -> n.name().equals("c.bin")).findFirst().orElseThrow().content().get(0);
      assertThat(repo.locate(BlobType.DATA, textBlob).orElseThrow().blob().compressed()).as("log text").isTrue();
      assertThat(repo.locate(BlobType.DATA, randomBlob).orElseThrow().blob().compressed()).as("random bytes").isFalse();
      r = new RepositoryRestore(events::add).restore(repo, snap, new RestoreRequest(target, List.of(), false));
    }
    Path root = target.resolve("srv");
    assertThat(Files.readAllBytes(root.resolve("a.bin"))).isEqualTo(repeated);
    assertThat(Files.readAllBytes(root.resolve("b.bin"))).isEqualTo(repeated);
    assertThat(Files.readAllBytes(root.resolve("sub/c.bin"))).isEqualTo(other);
    assertThat(Files.readAllBytes(root.resolve("sub/small.txt"))).isEqualTo(small);
    assertThat(Files.readAllBytes(root.resolve("sub/log.txt"))).isEqualTo(text);
    assertThat(Files.size(root.resolve("sub/empty"))).isZero();
    assertThat(Files.readSymbolicLink(root.resolve("link"))).isEqualTo(Path.of("a.bin"));
    assertThat(Files.getLastModifiedTime(root.resolve("a.bin")).toInstant()).isEqualTo(T1);
    assertThat(Files.getLastModifiedTime(root.resolve("sub/empty")).toInstant()).isEqualTo(T1);
    assertThat(Files.getLastModifiedTime(root.resolve("sub/c.bin")).toInstant()).isEqualTo(T2);
    assertThat(Files.getLastModifiedTime(root.resolve("sub")).toInstant()).isEqualTo(T2);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(root.resolve("sub/small.txt"))))
        .isEqualTo("rw-------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(root.resolve("sub/c.bin"))))
        .isEqualTo("rwxr-x---");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(root.resolve("sub"), LinkOption.NOFOLLOW_LINKS)))
        .isEqualTo("rwx------");
    assertThat(r.files()).isEqualTo(6);
    assertThat(r.bytes()).isEqualTo(2L * repeated.length + other.length + small.length + text.length);
    assertThat(events).filteredOn(BackupEvent.EntryDone.class::isInstance).hasSize(6);
    assertThat(events.stream().filter(BackupEvent.BytesMoved.class::isInstance)
        .mapToLong(e -> ((BackupEvent.BytesMoved) e).bytes()).sum()).isEqualTo(r.bytes());
    assertOnlySrvLeftIn(target);
  }

  @Test
  void aDirectoryMissingFromTheTargetMovesInWholeOneThatExistsKeepsWhatItHeld() throws IOException {
    Path repoDir = backup();
    Path target = tmp.resolve("target");
    Files.createDirectories(target.resolve("srv"));
    Files.writeString(target.resolve("srv/keep.txt"), "not in the snapshot");
    RestoreResult r;
    try (var repo = Repository.open(new LocalBackend(repoDir), PASSWORD)) {
      ObjectId snap = repo.listSnapshots().get(0).id();
      r = new RepositoryRestore(e -> {}).restore(repo, snap, new RestoreRequest(target, List.of(), false));
    }
    Path root = target.resolve("srv");
    assertThat(Files.readString(root.resolve("keep.txt"))).isEqualTo("not in the snapshot");
    assertThat(Files.readAllBytes(root.resolve("a.bin"))).isEqualTo(repeated); // moved one by one into srv
    assertThat(Files.readAllBytes(root.resolve("sub/c.bin"))).isEqualTo(other); // sub: one rename
    assertThat(Files.readAllBytes(root.resolve("sub/log.txt"))).isEqualTo(text);
    assertThat(Files.readSymbolicLink(root.resolve("link"))).isEqualTo(Path.of("a.bin"));
    assertThat(r.files()).isEqualTo(6);
    assertThat(r.directories()).isEqualTo(2);
    // times (both, from the node) and modes hold after the move; owners too when restoring as root
    assertThat(Files.getLastModifiedTime(root.resolve("sub")).toInstant()).isEqualTo(T2);
    assertThat(((java.nio.file.attribute.FileTime) Files.getAttribute(root.resolve("sub/small.txt"), "lastAccessTime"))
        .toInstant()).as("not read since").isEqualTo(T1);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(root.resolve("sub"), LinkOption.NOFOLLOW_LINKS)))
        .isEqualTo("rwx------");
    if ("root".equals(System.getProperty("user.name"))) {
      for (String p : List.of("sub", "sub/c.bin", "a.bin", "sub/empty")) {
        assertThat(Files.getAttribute(root.resolve(p), "unix:uid", LinkOption.NOFOLLOW_LINKS)).as(p).isEqualTo(1000);
        assertThat(Files.getAttribute(root.resolve(p), "unix:gid", LinkOption.NOFOLLOW_LINKS)).as(p).isEqualTo(1000);
      }
    }
    assertOnlySrvLeftIn(target);
  }

  @Test
  void anIncludedDirectoryMovesInWholeBelowParentsMadeForIt() throws IOException {
    Path repoDir = backup();
    Path target = tmp.resolve("target");
    try (var repo = Repository.open(new LocalBackend(repoDir), PASSWORD)) {
      ObjectId snap = repo.listSnapshots().get(0).id();
      new RepositoryRestore(e -> {}).restore(repo, snap, new RestoreRequest(target, List.of("srv/sub"), false));
    }
    try (Stream<Path> all = Files.walk(target)) {
      assertThat(all.map(p -> target.relativize(p).toString())).containsExactlyInAnyOrder(
          "", "srv", "srv/sub", "srv/sub/c.bin", "srv/sub/empty", "srv/sub/log.txt", "srv/sub/small.txt");
    }
    assertThat(Files.readAllBytes(target.resolve("srv/sub/c.bin"))).isEqualTo(other);
    assertThat(Files.getLastModifiedTime(target.resolve("srv/sub")).toInstant()).isEqualTo(T2);
  }

  @Test
  void aDamagedBlobNamesItsPackAndLeavesTheTargetUntouched() throws IOException {
    Path repoDir = backup();
    Path pack;
    try (Stream<Path> s = Files.walk(repoDir.resolve("data"))) {
      // the largest pack holds data blobs (the trees, a few hundred bytes, are packed apart)
      pack = s.filter(Files::isRegularFile).max(java.util.Comparator.comparingLong(p -> p.toFile().length()))
          .orElseThrow();
    }
    try (var f = new RandomAccessFile(pack.toFile(), "rw")) {
      f.seek(100); // inside the first blob
      int b = f.read();
      f.seek(100);
      f.write(b ^ 0x10);
    }
    Path target = tmp.resolve("target");
    try (var repo = Repository.open(new LocalBackend(repoDir), PASSWORD)) {
      ObjectId snap = repo.listSnapshots().get(0).id();
      assertThatThrownBy(() -> new RepositoryRestore(e -> {}).restore(repo, snap, new RestoreRequest(target, List.of(), false)))
          .isInstanceOf(HoldfastException.class)
          .hasMessageContaining("in pack " + pack.getFileName().toString().substring(0, 8))
          .hasMessageContaining("data blob")
          .hasMessageContaining("MAC check failed")
          .satisfies(e -> assertThat(((HoldfastException) e).exitCode()).isEqualTo(ExitCode.DAMAGED));
    }
    try (Stream<Path> left = Files.list(target)) {
      assertThat(left).as("nothing restored, no staging left").isEmpty();
    }
  }

  /** The target holds the restored tree alone: no staging directory is left. */
  private static void assertOnlySrvLeftIn(Path target) throws IOException {
    try (Stream<Path> left = Files.list(target)) {
      assertThat(left.map(p -> p.getFileName().toString())).containsExactly("srv");
    }
  }

  private Path backup() throws IOException {
    Path repoDir = tmp.resolve("repo");
    var info = new RepositoryWriter.SnapshotInfo(List.of("/srv"), "host", "root", List.of(),
        OffsetDateTime.of(2026, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC), "test");
    try (var repo = Repository.init(new LocalBackend(repoDir), PASSWORD, POL, FAST);
        var w = new RepositoryWriter(repo, info)) {
      w.add(entry("srv", Entry.Kind.DIRECTORY, 040755, T1, null, null));
      w.add(entry("srv/a.bin", Entry.Kind.FILE, 0100644, T1, null, repeated));
      w.add(entry("srv/b.bin", Entry.Kind.FILE, 0100644, T1, null, repeated)); // every blob shared with a.bin
      w.add(entry("srv/link", Entry.Kind.SYMLINK, 0120777, T1, "a.bin", null));
      w.add(entry("srv/sub", Entry.Kind.DIRECTORY, 040700, T2, null, null));
      w.add(entry("srv/sub/c.bin", Entry.Kind.FILE, 0100750, T2, null, other));
      w.add(entry("srv/sub/empty", Entry.Kind.FILE, 0100644, T1, null, new byte[0]));
      w.add(entry("srv/sub/log.txt", Entry.Kind.FILE, 0100644, T1, null, text));
      w.add(entry("srv/sub/small.txt", Entry.Kind.FILE, 0100600, T1, null, small));
      w.finish();
    }
    return repoDir;
  }

  private static Node node(Repository repo, ObjectId snap, String name) {
    Node srv = repo.loadTree(repo.loadSnapshot(snap).tree()).nodes().get(0);
    return repo.loadTree(srv.subtree()).nodes().stream().filter(n -> n.name().equals(name)).findFirst().orElseThrow();
  }

  private static Entry entry(String path, Entry.Kind kind, int mode, Instant mtime, String link, byte[] content) {
    return new Entry(path, kind, content == null ? 0 : content.length, mode, mtime, 1000, 1000, "user", "group",
        link, content == null ? null : () -> new ByteArrayInputStream(content));
  }

  private static byte[] random(long seed, int n) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static byte[] logText(int n) {
    var sb = new StringBuilder(n + 100);
    var rnd = new Random(3);
    for (int i = 0; sb.length() < n; i++) {
      sb.append("2026-11-30T03:00:").append(i % 60).append(" backup[").append(rnd.nextInt(1000))
          .append("]: stored chunk ").append(Long.toHexString(rnd.nextLong())).append('\n');
    }
    return sb.substring(0, n).getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }

  private static byte[] concat(byte[] x, byte[] y) {
    byte[] b = java.util.Arrays.copyOf(x, x.length + y.length);
    System.arraycopy(y, 0, b, x.length, y.length);
    return b;
  }
}
