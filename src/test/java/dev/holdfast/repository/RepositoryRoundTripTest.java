package dev.holdfast.repository;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.holdfast.backend.MemoryBackend;
import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import dev.holdfast.event.BackupEvent;
import dev.holdfast.format.BackupRef;
import dev.holdfast.source.Entry;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Repository, writer, catalog and locks on the in-memory backend. */
class RepositoryRoundTripTest {
  private static final String PASSWORD = "pw";
  private static final KdfParams FAST = new KdfParams(1024, 8, 1);
  private static final long POL = 0x3DA3358B4DC173L;

  @Test
  void blobsAreDeduplicatedPackedIndexedAndReadBack() throws IOException {
    var backend = new MemoryBackend();
    var random = new Random(3);
    var blobs = new LinkedHashMap<ObjectId, byte[]>();
    try (var repo = Repository.init(backend, PASSWORD, POL, FAST)) {
      repo.setPackSize(64 * 1024);
      for (int i = 0; i < 200; i++) {
        byte[] b = new byte[random.nextInt(4000) + 1];
        random.nextBytes(b);
        blobs.put(repo.saveBlob(i % 3 == 0 ? BlobType.TREE : BlobType.DATA, b), b);
      }
      assertThat(repo.blobCount()).isEqualTo(200);
      for (var e : List.copyOf(blobs.entrySet())) {
        repo.saveBlob(BlobType.DATA, e.getValue());
      }
      // the 133 data blobs deduplicate; the 67 tree blobs' bytes are new as data blobs (type is part of the key)
      assertThat(repo.blobCount()).isEqualTo(200 + 67);
      repo.flush();
      long packs = backend.list("data/").count();
      byte[] fresh = "not uploaded yet".getBytes(StandardCharsets.UTF_8);
      ObjectId freshId = repo.saveBlob(BlobType.DATA, fresh);
      assertThat(backend.list("data/").count()).isEqualTo(packs);
      assertThat(repo.loadBlob(BlobType.DATA, freshId)).as("read from the open pack").isEqualTo(fresh);
      repo.setCompression(false);
      repo.saveBlob(BlobType.DATA, new byte[0]); // an empty blob is stored uncompressed
      repo.flush();
      assertThat(backend.list("data/").count()).isGreaterThan(5);
      assertThat(backend.list("index/").count()).isEqualTo(2);
    }
    try (var repo = Repository.open(backend, PASSWORD)) {
      int i = 0;
      for (var e : blobs.entrySet()) {
        BlobType type = i++ % 3 == 0 ? BlobType.TREE : BlobType.DATA;
        assertThat(repo.loadBlob(type, e.getKey())).isEqualTo(e.getValue());
        assertThat(ObjectId.hash(e.getValue())).isEqualTo(e.getKey());
      }
      assertThat(repo.loadBlob(BlobType.DATA, ObjectId.hash(new byte[0]))).isEmpty();
      assertThatThrownBy(() -> repo.loadBlob(BlobType.DATA, ObjectId.hash(new byte[] {9, 9, 9})))
          .isInstanceOf(HoldfastException.class).hasMessageContaining("not in the repository's index");
    }
  }

  @Test
  void packsAreNamedByTheirHashAndMatchTheirHeader() throws IOException {
    var backend = new MemoryBackend();
    try (var repo = Repository.init(backend, PASSWORD, POL, FAST)) {
      repo.saveBlob(BlobType.DATA, "x".repeat(10_000).getBytes(StandardCharsets.UTF_8));
      repo.flush();
      for (var info : backend.list("data/").toList()) {
        byte[] pack = backend.readAll(info.key());
        String name = info.key().substring(info.key().lastIndexOf('/') + 1);
        assertThat(info.key()).isEqualTo("data/" + name.substring(0, 2) + "/" + name);
        assertThat(ObjectId.hash(pack).hex()).isEqualTo(name);
        List<PackedBlob> header = PackFile.readHeader(backend, info.key(), pack.length, repo.masterKey());
        assertThat(header).singleElement().satisfies(b -> {
          assertThat(b.compressed()).isTrue();
          assertThat(b.uncompressedLength()).isEqualTo(10_000);
          assertThat(b.length()).isLessThan(200);
        });
      }
    }
  }

  @Test
  void snapshotNeverRefersToUnstoredTrees() {
    var backend = new MemoryBackend();
    try (var repo = Repository.init(backend, PASSWORD, POL, FAST)) {
      var missing = ObjectId.hash(new byte[] {1});
      var sn = new Snapshot(OffsetDateTime.now(ZoneOffset.UTC), null, missing, List.of("/x"), "h", "u", 0, 0,
          List.of(), List.of(), null, null);
      assertThatThrownBy(() -> repo.saveSnapshot(sn)).isInstanceOf(IllegalArgumentException.class);
      ObjectId tree = repo.saveTree(new Tree(List.of()));
      ObjectId id = repo.saveSnapshot(new Snapshot(sn.time(), null, tree, sn.paths(), "h", "u", 0, 0,
          List.of(), List.of("t"), null, null));
      assertThat(repo.listSnapshots()).extracting(StoredSnapshot::id).containsExactly(id);
      assertThat(repo.loadSnapshot(id).tags()).containsExactly("t");
    }
  }

  @Test
  void writerBuildsTreesFromEntriesAndCatalogFindsTheSnapshot() throws IOException {
    var backend = new MemoryBackend();
    var random = new Random(11);
    byte[] big = new byte[2_500_000];
    random.nextBytes(big);
    byte[] small = "hello\n".getBytes(StandardCharsets.UTF_8);
    Instant t = Instant.parse("2025-05-05T05:05:05.5Z");
    var time = OffsetDateTime.of(2026, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC);
    BackupRef ref;
    var events = new ArrayList<BackupEvent>();
    try (var repo = Repository.init(backend, PASSWORD, POL, FAST)) {
      var info = new RepositoryWriter.SnapshotInfo(List.of("/srv/app"), "host1", "root", List.of("job1"), time, "test");
      try (var w = new RepositoryWriter(repo, info, events::add)) {
        w.add(entry("srv", Entry.Kind.DIRECTORY, 040755, t, null, null));
        w.add(entry("srv/app", Entry.Kind.DIRECTORY, 040700, t, null, null));
        w.add(entry("srv/app/big.bin", Entry.Kind.FILE, 0100644, t, null, big));
        w.add(entry("srv/app/sub/inner.txt", Entry.Kind.FILE, 0100600, t, null, small)); // "sub" has no entry
        w.add(entry("srv/app/z-link", Entry.Kind.SYMLINK, 0120777, t, "big.bin", null));
        w.add(entry("srv/app/zz-hard", Entry.Kind.HARDLINK, 0100644, t, "srv/app/big.bin", null));
        // a hard link to a file in a directory that is already closed: found through its saved tree
        w.add(entry("srv/other/deep/link", Entry.Kind.HARDLINK, 0100600, t, "srv/app/sub/inner.txt", null));
        w.add(entry("srv/other/bad", Entry.Kind.HARDLINK, 0100600, t, "srv/app/nope", null)); // left out, warned
        assertThat(backend.list("snapshots/").count()).isZero(); // nothing visible before finish
        ref = w.finish();
      }
      assertThat(backend.list("locks/").count()).as("lock released").isZero();
    }
    assertThat(events).filteredOn(BackupEvent.Warning.class::isInstance).singleElement()
        .isEqualTo(new BackupEvent.Warning("/srv/other/bad", "hard link to srv/app/nope, which this backup does not hold"));
    assertThat(ref.format()).isEqualTo("repository");
    assertThat(ref.files()).isEqualTo(4);
    // random content does not compress: stored = content (once, the hard link adds none) + overhead
    assertThat(ref.size()).isBetween((long) big.length + small.length, big.length + small.length + 20_000L);

    try (var repo = Repository.open(backend, PASSWORD)) {
      var catalog = new RepositoryCatalog(repo);
      assertThat(catalog.list()).extracting(BackupRef::id).containsExactly(ref.id());
      assertThat(catalog.find("latest").id()).isEqualTo(ref.id());
      assertThat(catalog.find(ref.id().substring(0, 8)).host()).isEqualTo("host1");
      assertThatThrownBy(() -> catalog.find("ffffffffffff")).isInstanceOf(HoldfastException.class);

      Snapshot sn = repo.loadSnapshot(ObjectId.parse(ref.id()));
      Node srv = repo.loadTree(sn.tree()).nodes().get(0);
      assertThat(srv.name()).isEqualTo("srv");
      Node app = repo.loadTree(srv.subtree()).nodes().get(0);
      assertThat(FileMode.toPosixPermissions(app.mode())).isEqualTo(0700);
      List<Node> nodes = repo.loadTree(app.subtree()).nodes();
      assertThat(nodes).extracting(Node::name).containsExactly("big.bin", "sub", "z-link", "zz-hard");
      assertThat(nodes.get(0).content()).hasSizeGreaterThan(1); // chunked: 2.5 MB makes several chunks
      assertThat(nodes.get(3).content()).isEqualTo(nodes.get(0).content());
      assertThat(nodes.get(2).linkTarget()).isEqualTo("big.bin");
      var out = new ByteArrayOutputStream();
      repo.copyContent(nodes.get(3), out);
      assertThat(out.toByteArray()).isEqualTo(big);
      Node inner = repo.loadTree(nodes.get(1).subtree()).nodes().get(0);
      out.reset();
      repo.copyContent(inner, out);
      assertThat(out.toByteArray()).isEqualTo(small);
      assertThat(inner.mtime()).isEqualTo(t);
      Node other = repo.loadTree(srv.subtree()).nodes().get(1);
      Node deep = repo.loadTree(other.subtree()).nodes().get(0);
      Node link = repo.loadTree(deep.subtree()).nodes().get(0);
      assertThat(link.name()).isEqualTo("link");
      assertThat(link.content()).isEqualTo(inner.content());
      assertThat(link.size()).isEqualTo(small.length);
    }
  }

  @Test
  void anUnreadableFileIsAWarningButAFailingStreamFailsTheBackup() throws IOException {
    var backend = new MemoryBackend();
    var events = new ArrayList<BackupEvent>();
    try (var repo = Repository.init(backend, PASSWORD, POL, FAST)) {
      var info = new RepositoryWriter.SnapshotInfo(List.of("/a"), "h", "u", List.of(), OffsetDateTime.now(), "t");
      BackupRef ref;
      try (var w = new RepositoryWriter(repo, info, events::add)) {
        w.add(entry("a", Entry.Kind.DIRECTORY, 040755, Instant.EPOCH, null, null));
        w.add(new Entry("a/gone", Entry.Kind.FILE, 10, 0100644, Instant.EPOCH, 0, 0, "", "", null,
            () -> { throw new java.nio.file.AccessDeniedException("/a/gone"); }));
        w.add(entry("a/ok", Entry.Kind.FILE, 0100644, Instant.EPOCH, null, new byte[] {1, 2, 3}));
        ref = w.finish();
      }
      assertThat(ref.files()).isEqualTo(1);
      assertThat(events).filteredOn(BackupEvent.Warning.class::isInstance).singleElement()
          .satisfies(ev -> assertThat(((BackupEvent.Warning) ev).path()).isEqualTo("/a/gone"));
      assertThat(events).contains(new BackupEvent.EntryDone("a/ok", 3));
      Snapshot sn = repo.loadSnapshot(ObjectId.parse(ref.id()));
      Node a = repo.loadTree(sn.tree()).nodes().get(0);
      assertThat(repo.loadTree(a.subtree()).nodes()).extracting(Node::name).containsExactly("ok");

      try (var w = new RepositoryWriter(repo, info)) {
        w.add(entry("a", Entry.Kind.DIRECTORY, 040755, Instant.EPOCH, null, null));
        assertThatThrownBy(() -> w.add(new Entry("a/dump.sql", Entry.Kind.FILE, -1, 0100644, Instant.EPOCH, 0, 0,
            "", "", null, () -> new java.io.InputStream() {
              @Override
              public int read() throws IOException {
                throw new IOException("pg_dump exited with 1");
              }
            })))
            .isInstanceOf(HoldfastException.class).hasMessageContaining("pg_dump exited with 1");
      }
      assertThat(repo.listSnapshots()).hasSize(1);
    }
  }

  @Test
  void unchangedFilesOfTheParentSnapshotAreNotReadAgain() throws IOException {
    var backend = new MemoryBackend();
    Instant t = Instant.parse("2024-04-04T04:04:04.123456789Z");
    byte[] same = new byte[300_000];
    new Random(1).nextBytes(same);
    try (var repo = Repository.init(backend, PASSWORD, POL, FAST)) {
      var first = new RepositoryWriter.SnapshotInfo(List.of("/d"), "h", "u", List.of(),
          OffsetDateTime.of(2026, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC), "t");
      BackupRef ref1;
      try (var w = new RepositoryWriter(repo, first)) {
        w.add(entry("d", Entry.Kind.DIRECTORY, 040755, t, null, null));
        w.add(entry("d/sub", Entry.Kind.DIRECTORY, 040755, t, null, null));
        w.add(entry("d/sub/same", Entry.Kind.FILE, 0100644, t, null, same));
        w.add(entry("d/sub/touched", Entry.Kind.FILE, 0100644, t, null, new byte[] {1}));
        ref1 = w.finish();
      }
      var second = new RepositoryWriter.SnapshotInfo(List.of("/d"), "h", "u", List.of(),
          OffsetDateTime.of(2026, 1, 2, 0, 0, 0, 0, ZoneOffset.UTC), "t");
      BackupRef ref2;
      try (var w = new RepositoryWriter(repo, second)) {
        w.add(entry("d", Entry.Kind.DIRECTORY, 040755, t, null, null));
        w.add(entry("d/sub", Entry.Kind.DIRECTORY, 040755, t, null, null));
        w.add(new Entry("d/sub/same", Entry.Kind.FILE, same.length, 0100600, t, 1000, 1000, "user", "group", null,
            () -> { throw new AssertionError("an unchanged file was read again"); }));
        w.add(entry("d/sub/touched", Entry.Kind.FILE, 0100644, t.plusNanos(1), null, new byte[] {2}));
        ref2 = w.finish();
      }
      Snapshot sn = repo.loadSnapshot(ObjectId.parse(ref2.id()));
      assertThat(sn.parent()).isEqualTo(ObjectId.parse(ref1.id()));
      Node d = repo.loadTree(sn.tree()).nodes().get(0);
      Node sub = repo.loadTree(d.subtree()).nodes().get(0);
      List<Node> files = repo.loadTree(sub.subtree()).nodes();
      var out = new ByteArrayOutputStream();
      repo.copyContent(files.get(0), out);
      assertThat(out.toByteArray()).isEqualTo(same);
      assertThat(FileMode.toPosixPermissions(files.get(0).mode())).as("metadata from the new entry").isEqualTo(0600);
      out.reset();
      repo.copyContent(files.get(1), out);
      assertThat(out.toByteArray()).as("a changed mtime means reading again").containsExactly(2);
    }
  }

  @Test
  void closingWithoutFinishPublishesNoSnapshot() throws IOException {
    var backend = new MemoryBackend();
    try (var repo = Repository.init(backend, PASSWORD, POL, FAST)) {
      var info = new RepositoryWriter.SnapshotInfo(List.of("/a"), "h", "u", List.of(), OffsetDateTime.now(), "t");
      try (var w = new RepositoryWriter(repo, info)) {
        w.add(entry("a", Entry.Kind.DIRECTORY, 040755, Instant.EPOCH, null, null));
        w.add(entry("a/f", Entry.Kind.FILE, 0100644, Instant.EPOCH, null, new byte[100]));
      }
      assertThat(backend.list("snapshots/").count()).isZero();
      assertThat(backend.list("locks/").count()).isZero();
      assertThat(repo.hasBlob(BlobType.DATA, ObjectId.hash(new byte[100]))).isFalse();
    }
  }

  @Test
  void locksHonourOthersAndIgnoreStaleOnes() throws IOException {
    var backend = new MemoryBackend();
    try (var repo = Repository.init(backend, PASSWORD, POL, FAST)) {
      try (var shared1 = repo.lock(false); var shared2 = repo.lock(false)) {
        assertThat(backend.list("locks/").count()).isEqualTo(2);
        assertThatThrownBy(() -> repo.lock(true))
            .isInstanceOfSatisfying(HoldfastException.class, e -> assertThat(e.exitCode()).isEqualTo(ExitCode.LOCKED));
        shared1.refresh();
        assertThat(backend.list("locks/").count()).isEqualTo(2);
      }
      assertThat(backend.list("locks/").count()).isZero();

      ObjectId foreign = repo.saveLockFile(new LockFile(OffsetDateTime.now(ZoneOffset.UTC), true, "other-host",
          "someone", 4242, 0, 0).toJson());
      assertThatThrownBy(() -> repo.lock(false))
          .isInstanceOfSatisfying(HoldfastException.class, e -> {
            assertThat(e.exitCode()).isEqualTo(ExitCode.LOCKED);
            assertThat(e.getMessage()).contains("exclusively", "PID 4242", "other-host");
          });
      backend.delete("locks/" + foreign.hex());
      repo.saveLockFile(new LockFile(OffsetDateTime.now(ZoneOffset.UTC).minusHours(1), true, "other-host",
          "someone", 4242, 0, 0).toJson());
      try (var lock = repo.lock(true)) {
        assertThat(lock.id()).isNotNull(); // a lock not refreshed for an hour is stale
      }
    }
  }

  @Test
  void compactIndexFindsEveryOneOfManyBlobsAndNothingElse() {
    var index = new BlobIndex();
    var random = new Random(5);
    var ids = new ArrayList<ObjectId>();
    ObjectId pack = ObjectId.hash(new byte[] {7});
    for (int i = 0; i < 300_000; i++) {
      byte[] b = new byte[32];
      random.nextBytes(b);
      if (i % 1000 == 0) {
        b[0] = b[1] = b[2] = b[3] = b[4] = b[5] = b[6] = b[7] = 0; // same 8-byte prefix: collisions
      }
      ObjectId id = ObjectId.of(b);
      ids.add(id);
      assertThat(index.add(pack, new PackedBlob(BlobType.DATA, id, i, 100 + i % 7, i % 3))).isTrue();
    }
    assertThat(index.add(pack, new PackedBlob(BlobType.DATA, ids.get(0), 9, 99, 0))).as("duplicate").isFalse();
    for (int i = 0; i < ids.size(); i++) {
      var loc = index.lookup(BlobType.DATA, ids.get(i)).orElseThrow();
      assertThat(loc.blob().offset()).isEqualTo(i);
      assertThat(loc.blob().length()).isEqualTo(100 + i % 7);
      assertThat(loc.blob().uncompressedLength()).isEqualTo(i % 3);
      assertThat(index.contains(BlobType.TREE, ids.get(i))).isFalse();
    }
    assertThat(index.contains(BlobType.DATA, ObjectId.hash(new byte[] {1}))).isFalse();
    assertThat(index.size()).isEqualTo(300_000);
  }

  @Test
  void initRefusesAReduciblePolynomialAndASecondInit() {
    var backend = new MemoryBackend();
    assertThatThrownBy(() -> Repository.init(backend, PASSWORD, 0x38f1e565e288dfL, FAST))
        .isInstanceOf(IllegalArgumentException.class);
    Repository.init(backend, PASSWORD, POL, FAST).close();
    assertThatThrownBy(() -> Repository.init(backend, PASSWORD, POL, FAST))
        .isInstanceOf(HoldfastException.class).hasMessageContaining("already exists");
    try (var repo = Repository.init(new MemoryBackend(), PASSWORD)) {
      assertThat(new Polynomial(repo.config().chunkerPolynomial()).isIrreducible()).isTrue();
    }
  }

  @Test
  void aSecondKeyOpensTheSameRepository() {
    var backend = new MemoryBackend();
    ObjectId blob;
    try (var repo = Repository.init(backend, PASSWORD, POL, FAST)) {
      blob = repo.saveBlob(BlobType.DATA, new byte[] {4, 2});
      repo.flush();
      repo.addKey("second password", FAST);
    }
    try (var repo = Repository.open(backend, "second password")) {
      assertThat(repo.loadBlob(BlobType.DATA, blob)).containsExactly(4, 2);
    }
    assertThatThrownBy(() -> Repository.open(backend, "third"))
        .isInstanceOfSatisfying(HoldfastException.class, e -> assertThat(e.exitCode()).isEqualTo(ExitCode.WRONG_KEY));
  }

  private static Entry entry(String path, Entry.Kind kind, int mode, Instant mtime, String link, byte[] content) {
    return new Entry(path, kind, content == null ? 0 : content.length, mode, mtime, 1000, 1000, "user", "group",
        link, content == null ? null : () -> new ByteArrayInputStream(content));
  }
}
