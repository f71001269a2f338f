package dev.holdfast.repository;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.holdfast.backend.LocalBackend;
import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import dev.holdfast.event.EventSink;
import dev.holdfast.format.BackupRef;
import dev.holdfast.source.PathSource;
import dev.holdfast.testkit.Trees;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Interoperability with the real restic binary (Debian's restic 0.14): we read what restic wrote,
 * and restic checks, lists and restores what we wrote.
 */
class RepositoryResticIT {
  private static final String PASSWORD = "correct horse battery staple";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long POLYNOMIAL = 0x3DA3358B4DC173L;
  private static final KdfParams FAST_KDF = new KdfParams(16384, 8, 1);

  @TempDir Path tmp;

  @Test
  void readsEveryFileOfARepositoryResticWrote() throws Exception {
    Path src = SourceTree.create(tmp.resolve("src"), 42);
    Path repoDir = tmp.resolve("repo");
    var restic = new ResticCli(repoDir, PASSWORD, tmp);
    restic.check("init");
    restic.check("backup", "--host", "restic-host", "--tag", "first", src.toString());

    try (var backend = new LocalBackend(repoDir); var repo = Repository.open(backend, PASSWORD)) {
      assertThat(repo.config().version()).isEqualTo(2);
      List<StoredSnapshot> snaps = repo.listSnapshots();
      assertThat(snaps).hasSize(1);
      Snapshot sn = snaps.get(0).snapshot();
      assertThat(sn.hostname()).isEqualTo("restic-host");
      assertThat(sn.paths()).containsExactly(src.toString());
      assertThat(sn.tags()).containsExactly("first");
      assertThat(sn.time().toInstant()).isCloseTo(Instant.now(), within60s());

      Node dir = SourceTree.descend(repo, sn.tree(), src);
      Map<String, String> stored = new TreeMap<>();
      walk(repo, dir.subtree(), "", stored, src);
      assertThat(stored).isEqualTo(describe(src));
    }

    try (var backend = new LocalBackend(repoDir)) {
      assertThatThrownBy(() -> Repository.open(backend, "not the password"))
          .isInstanceOfSatisfying(HoldfastException.class, e -> {
            assertThat(e.exitCode()).isEqualTo(ExitCode.WRONG_KEY);
            assertThat(e.getMessage()).contains("wrong password").doesNotContain("\n");
          });
    }
  }

  @Test
  void resticChecksListsAndRestoresWhatWeWrote() throws Exception {
    Path src = SourceTree.create(tmp.resolve("data/src"), 7);
    Path repoDir = tmp.resolve("repo");
    OffsetDateTime time = OffsetDateTime.of(2026, 11, 30, 8, 15, 30, 123_456_789, ZoneOffset.ofHours(2));
    BackupRef ref;
    try (var backend = new LocalBackend(repoDir);
        var repo = Repository.init(backend, PASSWORD, POLYNOMIAL, FAST_KDF)) {
      var info = new RepositoryWriter.SnapshotInfo(
          List.of(src.toString()), "our-host", "tester", List.of("daily", "holdfast"), time, "holdfast test");
      try (var writer = new RepositoryWriter(repo, info);
          Stream<dev.holdfast.source.Entry> entries = PathSource.of(List.of(src.toString())).entries(EventSink.NONE)) {
        entries.forEach(writer::add);
        ref = writer.finish();
      }
    }
    var restic = new ResticCli(repoDir, PASSWORD, tmp);
    String check = restic.check("check", "--read-data");
    assertThat(check).contains("no errors were found").doesNotContainIgnoringCase("hint");

    JsonNode snaps = JSON.readTree(restic.check("snapshots", "--json"));
    assertThat(snaps).hasSize(1);
    JsonNode sn = snaps.get(0);
    assertThat(sn.get("id").asText()).isEqualTo(ref.id());
    assertThat(sn.get("hostname").asText()).isEqualTo("our-host");
    assertThat(sn.get("username").asText()).isEqualTo("tester");
    assertThat(sn.get("paths")).extracting(JsonNode::asText).containsExactly(src.toString());
    assertThat(sn.get("tags")).extracting(JsonNode::asText).containsExactly("daily", "holdfast");
    assertThat(OffsetDateTime.parse(sn.get("time").asText()).toInstant()).isEqualTo(time.toInstant());

    Path target = tmp.resolve("restore");
    restic.check("restore", "latest", "--target", target.toString());
    Path restored = target.resolve(src.toString().substring(1));
    assertThat(describe(restored)).isEqualTo(describe(src));
    assertSameMetadata(src, restored);

    // restic writes into our repository and deduplicates against our blobs: same chunker, same ids
    String backup = restic.check("backup", "--json", src.toString());
    JsonNode summary = lastLine(backup);
    assertThat(summary.get("data_added").asLong()).as("bytes restic added to our repository").isLessThan(10_000);
    restic.check("check", "--read-data");
  }

  @Test
  void weReadWhatWeWroteAfterResticAddedASnapshot() throws Exception {
    Path src = SourceTree.create(tmp.resolve("src"), 99);
    Path repoDir = tmp.resolve("repo");
    try (var backend = new LocalBackend(repoDir);
        var repo = Repository.init(backend, PASSWORD, Polynomial.random(new java.security.SecureRandom()).value())) {
      var info = new RepositoryWriter.SnapshotInfo(List.of(src.toString()), "h", "u", List.of(),
          OffsetDateTime.now(ZoneOffset.UTC).minusMinutes(1), "holdfast test");
      try (var writer = new RepositoryWriter(repo, info);
          var entries = PathSource.of(List.of(src.toString())).entries(EventSink.NONE)) {
        entries.forEach(writer::add);
        writer.finish();
      }
    }
    var restic = new ResticCli(repoDir, PASSWORD, tmp);
    Map<String, String> before = describe(src);
    Files.writeString(src.resolve("added-later.txt"), "new file\n");
    restic.check("backup", "--host", "h", src.toString());
    try (var backend = new LocalBackend(repoDir); var repo = Repository.open(backend, PASSWORD)) {
      List<StoredSnapshot> snaps = repo.listSnapshots();
      assertThat(snaps).hasSize(2);
      assertThat(snaps.get(0).snapshot().programVersion()).isEqualTo("holdfast test" + RepositoryWriter.XATTRS_MARK); // ours, a minute older
      List<Map<String, String>> expected = List.of(before, describe(src));
      for (int i = 0; i < 2; i++) {
        Map<String, String> stored = new TreeMap<>();
        walk(repo, SourceTree.descend(repo, snaps.get(i).snapshot().tree(), src).subtree(), "", stored, src);
        assertThat(stored).as("snapshot %d", i).isEqualTo(expected.get(i));
      }
    }
  }

  @Test
  void resticHonoursOurExclusiveLockAndReadsIt() throws Exception {
    Path src = SourceTree.create(tmp.resolve("src"), 5);
    Path repoDir = tmp.resolve("repo");
    var restic = new ResticCli(repoDir, PASSWORD, tmp);
    try (var backend = new LocalBackend(repoDir);
        var repo = Repository.init(backend, PASSWORD, POLYNOMIAL, FAST_KDF)) {
      try (var lock = repo.lock(true)) {
        assertThat(restic.check("list", "locks", "--no-lock").strip()).isEqualTo(lock.id().hex());
        JsonNode json = JSON.readTree(restic.check("cat", "lock", lock.id().hex(), "--no-lock"));
        assertThat(json.get("exclusive").asBoolean()).isTrue();
        assertThat(json.get("pid").asLong()).isEqualTo(ProcessHandle.current().pid());
        var blocked = restic.run("backup", src.toString());
        assertThat(blocked.exitCode()).as("restic backup under our exclusive lock: %s", blocked).isNotZero();
        assertThat(blocked.err()).contains("locked");
      }
      assertThat(restic.check("list", "locks", "--no-lock")).isBlank();
      restic.check("backup", src.toString());
      // and restic's own snapshot is visible to the repository we still have open
      assertThat(repo.listSnapshots()).hasSize(1);
    }
  }

  @Test
  void readsARepositoryFormatVersion1() throws Exception {
    Path src = SourceTree.create(tmp.resolve("src"), 1234);
    Path repoDir = tmp.resolve("repo");
    var restic = new ResticCli(repoDir, PASSWORD, tmp);
    restic.check("init", "--repository-version", "1");
    restic.check("backup", src.toString());
    try (var backend = new LocalBackend(repoDir); var repo = Repository.open(backend, PASSWORD)) {
      assertThat(repo.config().version()).isEqualTo(1);
      Snapshot sn = repo.listSnapshots().get(0).snapshot();
      Map<String, String> stored = new TreeMap<>();
      walk(repo, SourceTree.descend(repo, sn.tree(), src).subtree(), "", stored, src);
      assertThat(stored).isEqualTo(describe(src));
    }
  }

  @Test
  void backsUpIntoARepositoryResticCreatedAndDeduplicatesAgainstIt() throws Exception {
    Path src = SourceTree.create(tmp.resolve("src"), 2024);
    Path repoDir = tmp.resolve("repo");
    var restic = new ResticCli(repoDir, PASSWORD, tmp);
    restic.check("init"); // restic's calibrated scrypt parameters and random polynomial
    restic.check("backup", src.toString());
    BackupRef ref;
    try (var backend = new LocalBackend(repoDir); var repo = Repository.open(backend, PASSWORD)) {
      int blobsBefore = repo.blobCount();
      // our chunker with restic's random polynomial cuts every file exactly where restic did
      assertThat(missingChunks(repo, src)).as("files with chunks restic does not have").isZero();
      // restic's host name and no tags (restic's snapshot has none), so restic's snapshot is our
      // parent and, by its nodes' size, mtime, ctime and inode, no file is read again
      var info = new RepositoryWriter.SnapshotInfo(List.of(src.toString()), Repository.hostname(), "tester",
          List.of(), OffsetDateTime.now(ZoneOffset.UTC), "holdfast test");
      var opened = new java.util.concurrent.atomic.AtomicInteger();
      try (var writer = new RepositoryWriter(repo, info);
          var entries = PathSource.of(List.of(src.toString())).entries(EventSink.NONE)) {
        entries.map(e -> e.content() == null ? e : new dev.holdfast.source.Entry(e.path(), e.kind(), e.size(), e.mode(),
                e.mtime(), e.uid(), e.gid(), e.owner(), e.group(), e.linkTarget(), () -> {
                  opened.incrementAndGet();
                  return e.content().open();
                }, e.inode(), e.device(), e.ctime(), e.links()))
            .forEach(writer::add);
        ref = writer.finish();
      }
      assertThat(opened).as("files read although restic's parent has them unchanged").hasValue(0);
      // only trees were added (restic records atimes, link counts and more that our nodes lack)
      assertThat(repo.blobCount()).isGreaterThan(blobsBefore);
      assertThat(ref.size()).as("bytes we added").isLessThan(50_000);
    }
    restic.check("check", "--read-data");
    JsonNode snaps = JSON.readTree(restic.check("snapshots", "--json"));
    assertThat(snaps).hasSize(2);
    assertThat(snaps.get(1).get("id").asText()).isEqualTo(ref.id());
    assertThat(snaps.get(1).get("parent").asText()).isEqualTo(snaps.get(0).get("id").asText());
    Path target = tmp.resolve("restore");
    restic.check("restore", ref.id(), "--target", target.toString());
    assertThat(describe(target.resolve(src.toString().substring(1)))).isEqualTo(describe(src));
  }

  @Test
  void resticsOwnExclusiveLockStopsOurWriter() throws Exception {
    Path src = SourceTree.create(tmp.resolve("src"), 31);
    Path repoDir = tmp.resolve("repo");
    var restic = new ResticCli(repoDir, PASSWORD, tmp);
    restic.check("init");
    restic.check("backup", src.toString());
    Path locks = repoDir.resolve("locks");
    // Pause a real "restic check" (which locks exclusively) while its lock file exists.
    for (int attempt = 0; ; attempt++) {
      var pb = new ProcessBuilder("restic", "--no-cache", "check", "--read-data").redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD);
      pb.environment().putAll(Map.of("RESTIC_REPOSITORY", repoDir.toString(), "RESTIC_PASSWORD", PASSWORD));
      Process check = pb.start();
      boolean paused = false;
      try {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (check.isAlive() && System.nanoTime() < deadline) {
          if (Files.isDirectory(locks) && Trees.list(locks).stream().anyMatch(n -> !n.contains("-tmp-"))) {
            new ProcessBuilder("kill", "-STOP", Long.toString(check.pid())).start().waitFor();
            paused = true;
            break;
          }
          Thread.onSpinWait();
        }
        if (paused && Trees.list(locks).stream().anyMatch(n -> !n.contains("-tmp-"))) {
          try (var backend = new LocalBackend(repoDir); var repo = Repository.open(backend, PASSWORD)) {
            var info = new RepositoryWriter.SnapshotInfo(List.of(src.toString()), "h", "u", List.of(),
                OffsetDateTime.now(ZoneOffset.UTC), "t");
            assertThatThrownBy(() -> new RepositoryWriter(repo, info))
                .isInstanceOfSatisfying(HoldfastException.class, e -> {
                  assertThat(e.exitCode()).isEqualTo(ExitCode.LOCKED);
                  assertThat(e.getMessage()).contains("locked exclusively", "PID " + check.pid());
                });
          }
          return;
        }
      } finally {
        if (paused) {
          new ProcessBuilder("kill", "-CONT", Long.toString(check.pid())).start().waitFor();
        }
        check.waitFor();
      }
      assertThat(attempt).as("attempts to catch restic holding its lock").isLessThan(5);
    }
  }

  /** How many files under src have a chunk that is not among the repository's data blobs. */
  private static int missingChunks(Repository repo, Path src) throws IOException {
    var chunker = new Chunker(repo.config().chunkerPolynomial());
    int files = 0;
    try (Stream<Path> s = Files.walk(src)) {
      for (Path p : s.filter(Files::isRegularFile).filter(p -> !Files.isSymbolicLink(p)).toList()) {
        boolean[] missing = {false};
        try (var in = Files.newInputStream(p)) {
          chunker.split(in, (buf, off, len) -> {
            if (!repo.hasBlob(BlobType.DATA, ObjectId.hash(buf, off, len))) {
              missing[0] = true;
            }
          });
        }
        files += missing[0] ? 1 : 0;
      }
    }
    return files;
  }

  // --- helpers -----------------------------------------------------------------------------------

  private static org.assertj.core.data.TemporalUnitOffset within60s() {
    return new org.assertj.core.data.TemporalUnitWithinOffset(60, java.time.temporal.ChronoUnit.SECONDS);
  }

  private static JsonNode lastLine(String out) throws IOException {
    String[] lines = out.strip().split("\n");
    return JSON.readTree(lines[lines.length - 1]);
  }

  /** Maps relative path to "dir", "symlink -> target" or "file <mode> <mtime> <sha256 of content read back>". */
  private static void walk(Repository repo, ObjectId treeId, String prefix, Map<String, String> out, Path src)
      throws IOException {
    Tree tree = repo.loadTree(treeId);
    List<String> names = tree.nodes().stream().map(Node::name).toList();
    assertThat(names).as("node order of %s", prefix).isSortedAccordingTo(Tree.NAME_ORDER);
    for (Node n : tree.nodes()) {
      String path = prefix + n.name();
      switch (n.type()) {
        case DIR -> {
          out.put(path, "dir");
          walk(repo, n.subtree(), path + "/", out, src);
        }
        case SYMLINK -> out.put(path, "symlink -> " + n.linkTarget());
        case FILE -> {
          var buf = new ByteArrayOutputStream();
          repo.copyContent(n, buf);
          byte[] original = Files.readAllBytes(src.resolve(path));
          assertThat(buf.toByteArray()).as("content of %s", path).isEqualTo(original);
          out.put(path, String.format("file %04o %s %s", FileMode.toPosixPermissions(n.mode()), n.mtime(),
              ObjectId.hash(buf.toByteArray()).shortHex()));
        }
        default -> out.put(path, n.type().json());
      }
    }
  }

  /** The same description, of a directory on disk. */
  private static Map<String, String> describe(Path root) throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.filter(p -> !p.equals(root)).toList()) {
        String rel = root.relativize(p).toString();
        if (Files.isSymbolicLink(p)) {
          out.put(rel, "symlink -> " + Files.readSymbolicLink(p));
        } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
          out.put(rel, "dir");
        } else {
          int mode = (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
          Instant mtime = ((FileTime) Files.getAttribute(p, "lastModifiedTime", LinkOption.NOFOLLOW_LINKS)).toInstant();
          out.put(rel, String.format("file %04o %s %s", mode & 07777, mtime,
              ObjectId.hash(Files.readAllBytes(p)).shortHex()));
        }
      }
    }
    return out;
  }

  /** Directory modes and mtimes, and symlink mtimes, as restic restored them. */
  private static void assertSameMetadata(Path expected, Path actual) throws IOException {
    try (Stream<Path> s = Files.walk(expected)) {
      for (Path p : s.toList()) {
        Path q = actual.resolve(expected.relativize(p).toString());
        var a = Files.readAttributes(p, "unix:mode,lastModifiedTime", LinkOption.NOFOLLOW_LINKS);
        var b = Files.readAttributes(q, "unix:mode,lastModifiedTime", LinkOption.NOFOLLOW_LINKS);
        assertThat(b).as("metadata of %s", q).isEqualTo(a);
      }
    }
  }
}
