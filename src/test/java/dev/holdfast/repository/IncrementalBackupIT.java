package dev.holdfast.repository;

import static org.assertj.core.api.Assertions.assertThat;

import dev.holdfast.backend.LocalBackend;
import dev.holdfast.event.EventSink;
import dev.holdfast.format.BackupRef;
import dev.holdfast.source.Entry;
import dev.holdfast.source.PathSource;
import dev.holdfast.testkit.Processes;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Incremental backups against a parent snapshot: unchanged files are taken from the parent without
 * being read (observed by counting every opening of a file's content), changed ones are read even
 * when their modification time was put back, and restic checks the result.
 */
class IncrementalBackupIT {
  private static final String PASSWORD = "incremental";
  private static final KdfParams FAST_KDF = new KdfParams(16384, 8, 1);

  @TempDir Path tmp;

  private final List<String> opened = new ArrayList<>();
  private OffsetDateTime clock = OffsetDateTime.of(2026, 11, 30, 3, 0, 0, 0, ZoneOffset.UTC);

  @Test
  void anUnchangedRerunReadsNoFileAndStoresTheSameTree() throws Exception {
    Path src = tree(tmp.resolve("src"), 40);
    Path repoDir = tmp.resolve("repo");
    try (var backend = new LocalBackend(repoDir); var repo = Repository.init(backend, PASSWORD, 0x3DA3358B4DC173L, FAST_KDF)) {
      BackupRef first = backup(repo, src, List.of("daily"));
      assertThat(opened).hasSize(40);
      int blobs = repo.blobCount();
      opened.clear();

      BackupRef second = backup(repo, src, List.of("daily"));
      assertThat(opened).as("files read by the unchanged re-run").isEmpty();
      Snapshot s1 = repo.loadSnapshot(ObjectId.parse(first.id()));
      Snapshot s2 = repo.loadSnapshot(ObjectId.parse(second.id()));
      assertThat(s2.parent()).isEqualTo(ObjectId.parse(first.id()));
      assertThat(SourceTree.descend(repo, s2.tree(), src).subtree()).isEqualTo(SourceTree.descend(repo, s1.tree(), src).subtree());
      // at most new trees for the directories above src: /tmp changes all the time on a busy machine
      assertThat(repo.blobCount()).as("blobs added by the unchanged re-run").isBetween(blobs, blobs + src.getNameCount() - 1);

      // nodes carry what the next run compares, as restic's do
      Node file = SourceTree.descend(repo, s2.tree(), src.resolve("d1/f1.bin"));
      var unix = Files.readAttributes(src.resolve("d1/f1.bin"), "unix:ino,dev,ctime", LinkOption.NOFOLLOW_LINKS);
      assertThat(file.inode()).isEqualTo(((Number) unix.get("ino")).longValue()).isNotZero();
      assertThat(file.deviceId()).isEqualTo(((Number) unix.get("dev")).longValue());
      assertThat(file.ctime()).isEqualTo(((FileTime) unix.get("ctime")).toInstant());
    }
    new ResticCli(repoDir, PASSWORD, tmp).check("check", "--read-data");
  }

  @Test
  void aFileChangedBehindARestoredMtimeIsReadAgain() throws Exception {
    Path src = tree(tmp.resolve("src"), 20);
    Path repoDir = tmp.resolve("repo");
    Path sameSize = src.resolve("d0/f0.bin");
    Path otherSize = src.resolve("d1/f1.bin");
    try (var backend = new LocalBackend(repoDir); var repo = Repository.init(backend, PASSWORD, 0x3DA3358B4DC173L, FAST_KDF)) {
      backup(repo, src, List.of());
      opened.clear();

      byte[] newSame = rewriteKeepingMtime(sameSize, Files.size(sameSize), 1);
      byte[] newOther = rewriteKeepingMtime(otherSize, Files.size(otherSize) + 1, 2);

      BackupRef second = backup(repo, src, List.of());
      assertThat(opened).containsExactlyInAnyOrder(PathSourceEntry.of(sameSize), PathSourceEntry.of(otherSize));
      Snapshot s2 = repo.loadSnapshot(ObjectId.parse(second.id()));
      assertThat(content(repo, SourceTree.descend(repo, s2.tree(), sameSize))).isEqualTo(newSame);
      assertThat(content(repo, SourceTree.descend(repo, s2.tree(), otherSize))).isEqualTo(newOther);
    }
    new ResticCli(repoDir, PASSWORD, tmp).check("check", "--read-data");
  }

  @Test
  void theParentIsTheNewestSnapshotOfTheSameJob() throws Exception {
    Path src = tree(tmp.resolve("src"), 10);
    try (var backend = new LocalBackend(tmp.resolve("repo")); var repo = Repository.init(backend, PASSWORD, 0x3DA3358B4DC173L, FAST_KDF)) {
      BackupRef daily = backup(repo, src, List.of("daily"));
      backup(repo, tmp.resolve("src/d0"), List.of("weekly")); // newer, other job, other paths
      opened.clear();

      BackupRef weekly = backup(repo, src, List.of("weekly"));
      assertThat(opened).as("no parent for the first weekly run over these paths").hasSize(10);
      assertThat(repo.loadSnapshot(ObjectId.parse(weekly.id())).parent()).isNull();
      opened.clear();

      BackupRef daily2 = backup(repo, src, List.of("daily"));
      assertThat(opened).isEmpty();
      assertThat(repo.loadSnapshot(ObjectId.parse(daily2.id())).parent()).isEqualTo(ObjectId.parse(daily.id()));
    }
  }

  /** Backs up {@code src} with the next clock tick, recording every file whose content is opened. */
  private BackupRef backup(Repository repo, Path src, List<String> tags) {
    clock = clock.plusHours(1);
    var info = new RepositoryWriter.SnapshotInfo(List.of(src.toString()), "host", "tester", tags, clock, "test");
    try (var writer = new RepositoryWriter(repo, info);
        Stream<Entry> entries = PathSource.of(List.of(src.toString())).entries(EventSink.NONE)) {
      entries.map(this::counting).forEach(writer::add);
      return writer.finish();
    }
  }

  private Entry counting(Entry e) {
    if (e.content() == null) {
      return e;
    }
    return new Entry(e.path(), e.kind(), e.size(), e.mode(), e.mtime(), e.uid(), e.gid(), e.owner(), e.group(),
        e.linkTarget(), () -> {
          synchronized (opened) {
            opened.add(e.path());
          }
          return e.content().open();
        }, e.inode(), e.device(), e.ctime(), e.links());
  }

  /** Entry paths are absolute paths without the leading '/'. */
  private static final class PathSourceEntry {
    static String of(Path p) {
      return p.toString().substring(1);
    }
  }

  /**
   * Writes new random content of {@code size} bytes, then puts the old modification time back with
   * {@code touch -d}, as a careless tool or an attacker might: only size and ctime still tell.
   */
  private static byte[] rewriteKeepingMtime(Path p, long size, long seed) throws Exception {
    Instant mtime = Files.getLastModifiedTime(p).toInstant();
    byte[] data = new byte[(int) size];
    new Random(seed).nextBytes(data);
    Files.write(p, data);
    String stamp = "@" + mtime.getEpochSecond() + "." + String.format("%09d", mtime.getNano());
    var r = Processes.run(p.getParent(), List.of("touch", "-m", "-d", stamp, p.toString()));
    assertThat(r.exitCode()).as("touch: %s", r).isZero();
    assertThat(Files.getLastModifiedTime(p).toInstant()).isEqualTo(mtime);
    return data;
  }

  private static Path tree(Path root, int files) throws Exception {
    Random random = new Random(files);
    for (int i = 0; i < files; i++) {
      Path f = root.resolve("d" + (i % 3)).resolve("f" + i + ".bin");
      Files.createDirectories(f.getParent());
      byte[] b = new byte[100 + random.nextInt(5000)];
      random.nextBytes(b);
      Files.write(f, b);
    }
    return root;
  }

  private static byte[] content(Repository repo, Node file) {
    var out = new ByteArrayOutputStream();
    repo.copyContent(file, out);
    return out.toByteArray();
  }
}
