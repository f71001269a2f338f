package dev.holdfast.repository;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.holdfast.backend.MemoryBackend;
import dev.holdfast.backend.ObjectInfo;
import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import dev.holdfast.retention.RetentionPolicy;
import java.io.IOException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Pruner and SnapshotRetention on an in-memory repository: what prune deletes, keeps and repacks,
 * and that damage stops it before it changes anything. (restic judges the results in
 * RepositoryPruneIT.)
 */
class PrunerTest {
  private static final String PASSWORD = "pw";
  private static final KdfParams FAST = new KdfParams(1024, 8, 1);
  private static final long POL = 0x3DA3358B4DC173L;

  private dev.holdfast.backend.Backend backend = new MemoryBackend();
  private final Random random = new Random(5);

  /** A snapshot of one directory holding files with the given contents (one blob each). */
  private ObjectId snapshot(Repository repo, String host, String tag, String path, int day, byte[]... files) {
    var nodes = new ArrayList<Node>();
    for (int i = 0; i < files.length; i++) {
      ObjectId blob = repo.saveBlob(BlobType.DATA, files[i]);
      nodes.add(Node.file("f" + i, 0644, Instant.EPOCH, 0, 0, files[i].length, List.of(blob)));
    }
    ObjectId tree = repo.saveTree(Tree.sorted(nodes));
    var sn = new Snapshot(OffsetDateTime.of(2026, 1, day, 12, 0, 0, 0, ZoneOffset.UTC), null, tree, List.of(path), host,
        "me", 0, 0, List.of(), List.of(tag), null, "holdfast test");
    return repo.saveSnapshot(sn);
  }

  private byte[] bytes(int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }

  private Map<String, Long> files() throws IOException {
    Map<String, Long> out = new TreeMap<>();
    try (Stream<ObjectInfo> s = backend.list("")) {
      s.filter(i -> !i.key().startsWith("locks/")).forEach(i -> out.put(i.key(), i.size()));
    }
    return out;
  }

  private static byte[] content(Repository repo, ObjectId snapshot) {
    Tree t = repo.loadTree(repo.loadSnapshot(snapshot).tree());
    var out = new java.io.ByteArrayOutputStream();
    for (Node n : t.nodes()) {
      repo.copyContent(n, out);
    }
    return out.toByteArray();
  }

  @Test
  void retentionGroupsByHostJobAndPathsAndDeletesOnlyWhatThePlansRemove() {
    try (var repo = Repository.init(backend, PASSWORD, POL, FAST)) {
      for (int day = 1; day <= 3; day++) {
        snapshot(repo, "a", "daily", "/srv", day, bytes(100));
        snapshot(repo, "b", "daily", "/srv", day, bytes(100));
        snapshot(repo, "a", "other", "/srv", day, bytes(100));
        snapshot(repo, "a", "daily", "/home", day, bytes(100));
      }
      var groups = SnapshotRetention.plan(repo.listSnapshots(), RetentionPolicy.none().withKeepLast(1),
          ZoneOffset.UTC, s -> !s.snapshot().hostname().equals("b"));
      assertThat(groups).hasSize(3);
      assertThat(groups).allSatisfy(g -> {
        assertThat(g.plan().keep()).hasSize(1);
        assertThat(g.plan().keep().get(0).time()).isEqualTo(Instant.parse("2026-01-03T12:00:00Z"));
      });
      List<ObjectId> removed = SnapshotRetention.apply(repo, groups, s -> {});
      assertThat(removed).hasSize(6);
      assertThat(repo.listSnapshots()).hasSize(6); // 3 kept + host b's 3 untouched
    }
  }

  @Test
  void pruneDeletesUnusedPacksRepacksPartlyUsedOnesAndKeepsEveryUsedBlob() throws IOException {
    ObjectId keep;
    ObjectId gone;
    byte[] shared = bytes(30_000);
    byte[] onlyKept = bytes(20_000);
    byte[] onlyGone = bytes(40_000);
    try (var repo = Repository.init(backend, PASSWORD, POL, FAST)) {
      repo.setCompression(false);
      repo.setWorkers(1); // one pack at a time: each worker would fill a pack of its own
      gone = snapshot(repo, "h", "daily", "/d", 1, shared, onlyGone); // both blobs in one pack
      keep = snapshot(repo, "h", "daily", "/d", 2, shared, onlyKept);
    }
    backend.delete("snapshots/" + gone.hex());
    try (var repo = Repository.open(backend, PASSWORD); var lock = repo.lock(true)) {
      Pruner.Result dry = new Pruner(repo, 0).prune(true);
      assertThat(dry.packsRepacked()).as("the pack of shared+onlyGone").isEqualTo(1);
      assertThat(dry.unusedBlobs()).isEqualTo(2); // onlyGone and the forgotten snapshot's tree
      Map<String, Long> before = files();
      Pruner.Result r = new Pruner(repo, 0).prune(false);
      assertThat(r.packsRepacked()).isEqualTo(1);
      assertThat(r.packsRemoved()).as("the forgotten snapshot's tree pack").isEqualTo(1);
      assertThat(r.freedBytes()).isGreaterThan(40_000);
      assertThat(files()).isNotEqualTo(before);
    }
    try (var repo = Repository.open(backend, PASSWORD)) {
      assertThat(content(repo, keep)).isEqualTo(concat(shared, onlyKept));
      assertThat(repo.hasBlob(BlobType.DATA, ObjectId.hash(onlyGone))).isFalse();
      assertThat(backend.list("index/").count()).isEqualTo(1);
      Pruner.Result again = new Pruner(repo, 0).prune(false);
      assertThat(again.changes()).isFalse();
    }
  }

  @Test
  void aPruneThatLostItsLockDeletesNothing() throws IOException {
    ObjectId gone;
    try (var repo = Repository.init(backend, PASSWORD, POL, FAST)) {
      gone = snapshot(repo, "h", "daily", "/d", 1, bytes(40_000));
      snapshot(repo, "h", "daily", "/d", 2, bytes(20_000));
    }
    backend.delete("snapshots/" + gone.hex());
    try (var repo = Repository.open(backend, PASSWORD); var lock = repo.lock(true)) {
      Map<String, Long> before = files();
      backend.delete("locks/" + lock.id().hex()); // e.g. `unlock --remove-all` from another host
      assertThatThrownBy(() -> new Pruner(repo, 0).guardedBy(lock).prune(false))
          .isInstanceOf(HoldfastException.class).hasMessageContaining("lost the lock");
      Map<String, Long> after = files();
      after.keySet().removeIf(k -> k.startsWith("index/") || k.startsWith("data/") && !before.containsKey(k));
      before.keySet().removeIf(k -> k.startsWith("index/"));
      assertThat(after).as("no pack and no snapshot deleted (a new index and packs may have been added)")
          .isEqualTo(before);
      assertThat(before.keySet().stream().filter(k -> k.startsWith("index/"))).isEmpty();
    }
    try (var repo = Repository.open(backend, PASSWORD)) {
      assertThat(repo.listSnapshots()).hasSize(1); // still readable: the old index files were not deleted either
    }
  }

  @Test
  void maxUnusedLeavesAPartlyUsedPackAloneWithinTheLimit() throws IOException {
    try (var repo = Repository.init(backend, PASSWORD, POL, FAST)) {
      repo.setCompression(false);
      repo.setWorkers(1); // the two blobs of the first snapshot in one pack
      ObjectId gone = snapshot(repo, "h", "daily", "/d", 1, bytes(100_000), bytes(1_000));
      snapshot(repo, "h", "daily", "/d", 2, bytes(1_000));
      Tree t = repo.loadTree(repo.loadSnapshot(gone).tree());
      ObjectId big = t.nodes().get(0).content().get(0);
      snapshot(repo, "h", "daily", "/d", 3, repo.loadBlob(BlobType.DATA, big)); // keeps the big blob used
      backend.delete("snapshots/" + gone.hex());
    }
    try (var repo = Repository.open(backend, PASSWORD)) {
      assertThat(new Pruner(repo, 5).prune(true).packsRepacked()).as("1 KB unused of ~100 KB").isZero();
      assertThat(new Pruner(repo, 0).prune(true).packsRepacked()).isEqualTo(1);
    }
  }

  @Test
  void aDamagedBlobInAPackToRepackStopsPruneBeforeAnyDeletion() throws IOException {
    damagedBlobStopsPrune();
  }

  @Test
  void aDamagedBlobStopsAPruneIntoALocalTargetAndItsNewPackIsDiscarded(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws IOException {
    backend = new dev.holdfast.backend.LocalBackend(dir); // new packs are written as they are built there (PackSpool)
    damagedBlobStopsPrune();
    try (Stream<java.nio.file.Path> all = java.nio.file.Files.walk(dir)) {
      assertThat(all.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".partial"));
    }
  }

  @Test
  void pruneDeletesThePackFilesKilledRunsLeftInALocalTarget(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws IOException {
    backend = new dev.holdfast.backend.LocalBackend(dir);
    try (var repo = Repository.init(backend, PASSWORD, POL, FAST)) {
      snapshot(repo, "h", "daily", "/d", 1, bytes(1000));
    }
    java.nio.file.Path spooled = dir.resolve("data/.5d1e2b3c.partial"); // a killed backup's pack being built
    java.nio.file.Path uploaded = dir.resolve("data/ab/ab12.3f4e.partial"); // a killed upload under its name
    java.nio.file.Files.createDirectories(uploaded.getParent());
    java.nio.file.Files.write(spooled, new byte[5000]);
    java.nio.file.Files.write(uploaded, new byte[700]);
    dev.holdfast.backend.UnnamedWriter running = backend.createUnnamed("data").orElseThrow(); // this process's own
    try (running; var repo = Repository.open(backend, PASSWORD); var lock = repo.lock(true)) {
      new Pruner(repo, 5).guardedBy(lock).prune(true);
      assertThat(spooled).as("a dry run changes nothing").exists();
      new Pruner(repo, 5).guardedBy(lock).prune(false);
      assertThat(spooled).doesNotExist();
      assertThat(uploaded).doesNotExist();
      try (Stream<java.nio.file.Path> all = java.nio.file.Files.walk(dir.resolve("data"))) {
        assertThat(all.filter(p -> p.toString().endsWith(".partial"))).as("an upload under way is left alone").hasSize(1);
      }
    }
  }

  private void damagedBlobStopsPrune() throws IOException {
    byte[] shared = bytes(30_000);
    try (var repo = Repository.init(backend, PASSWORD, POL, FAST)) {
      repo.setCompression(false);
      repo.setWorkers(1);
      ObjectId gone = snapshot(repo, "h", "daily", "/d", 1, shared, bytes(40_000)); // both in one pack
      snapshot(repo, "h", "daily", "/d", 2, shared, bytes(20_000));
      backend.delete("snapshots/" + gone.hex());
    }
    String pack;
    try (var repo = Repository.open(backend, PASSWORD)) {
      BlobLocation loc = repo.locate(BlobType.DATA, ObjectId.hash(shared)).orElseThrow();
      pack = "data/" + loc.pack().hex().substring(0, 2) + "/" + loc.pack().hex();
      byte[] bytes = backend.readAll(pack);
      bytes[(int) loc.blob().offset() + 100] ^= 0x40; // inside the kept blob, which repacking copies
      backend.delete(pack);
      backend.put(pack, bytes);
    }
    Map<String, Long> before = files();
    try (var repo = Repository.open(backend, PASSWORD); var lock = repo.lock(true)) {
      assertThatThrownBy(() -> new Pruner(repo, 0).prune(false))
          .isInstanceOfSatisfying(HoldfastException.class, e -> assertThat(e.exitCode()).isEqualTo(ExitCode.DAMAGED))
          .hasMessageContaining("data blob " + ObjectId.hash(shared).shortHex())
          .hasMessageContaining("in pack " + pack.substring(pack.lastIndexOf('/') + 1, pack.lastIndexOf('/') + 9))
          .hasMessageContaining("nothing was deleted");
    }
    Map<String, Long> after = files();
    assertThat(after.keySet()).as("every object there before is still there").containsAll(before.keySet());
  }

  @Test
  void anIndexNamingAMissingPackStopsPruneBeforeAnyChange() throws IOException {
    ObjectId gone;
    try (var repo = Repository.init(backend, PASSWORD, POL, FAST)) {
      gone = snapshot(repo, "h", "daily", "/d", 1, bytes(1000));
      snapshot(repo, "h", "daily", "/d", 2, bytes(1000));
    }
    backend.delete("snapshots/" + gone.hex());
    String pack;
    try (Stream<ObjectInfo> s = backend.list("data/")) {
      pack = s.findFirst().orElseThrow().key();
    }
    backend.delete(pack);
    Map<String, Long> before = files();
    try (var repo = Repository.open(backend, PASSWORD)) {
      assertThatThrownBy(() -> new Pruner(repo, 0).prune(false))
          .isInstanceOfSatisfying(HoldfastException.class, e -> assertThat(e.exitCode()).isEqualTo(ExitCode.DAMAGED))
          .hasMessageContaining("do not exist").hasMessageContaining("nothing was pruned");
    }
    assertThat(files()).isEqualTo(before);
  }

  @Test
  void aSnapshotReferringToAnUnindexedBlobStopsPruneBeforeAnyChange() throws IOException {
    try (var repo = Repository.init(backend, PASSWORD, POL, FAST)) {
      ObjectId gone = snapshot(repo, "h", "daily", "/d", 1, bytes(1000));
      ObjectId missing = ObjectId.hash(bytes(10));
      ObjectId tree = repo.saveTree(Tree.sorted(List.of(Node.file("x", 0644, Instant.EPOCH, 0, 0, 10, List.of(missing)))));
      repo.saveSnapshot(new Snapshot(OffsetDateTime.of(2026, 1, 2, 0, 0, 0, 0, ZoneOffset.UTC), null, tree, List.of("/d"),
          "h", "me", 0, 0, List.of(), List.of("daily"), null, null));
      backend.delete("snapshots/" + gone.hex());
    }
    Map<String, Long> before = files();
    try (var repo = Repository.open(backend, PASSWORD)) {
      assertThatThrownBy(() -> new Pruner(repo, 0).prune(false))
          .isInstanceOfSatisfying(HoldfastException.class, e -> assertThat(e.exitCode()).isEqualTo(ExitCode.DAMAGED))
          .hasMessageContaining("in no index").hasMessageContaining("nothing was pruned");
    }
    assertThat(files()).isEqualTo(before);
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = new byte[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
