package dev.holdfast.repository;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.holdfast.backend.MemoryBackend;
import dev.holdfast.event.BackupEvent;
import dev.holdfast.format.BackupRef;
import dev.holdfast.source.Entry;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Files on disk (entries with a ctime and inode) are read on reader threads: their nodes must land
 * in their own directories' trees, hard links and warnings must still work, progress must add up,
 * and an abandoned backup must stop its readers and store nothing.
 */
class ParallelReadTest {
  private static final KdfParams FAST = new KdfParams(1024, 8, 1);
  private static final long POL = 0x3DA3358B4DC173L;
  private static final Instant T = Instant.parse("2025-05-05T05:05:05.5Z");
  private static final AtomicLong INODES = new AtomicLong(100);

  @Test
  void filesReadInParallelLandInTheirDirectoriesWithLinksWarningsAndProgress() throws IOException {
    assumeTrue(Runtime.getRuntime().availableProcessors() > 1, "files are read in parallel only with two cores or more");
    Random rnd = new Random(7);
    byte[] shared = random(rnd, 900_000);
    Map<String, byte[]> contents = new HashMap<>();
    Set<String> readOn = Collections.synchronizedSet(new HashSet<>());
    List<BackupEvent> events = new ArrayList<>(); // the sink is called on one thread only (not synchronized)
    var backend = new MemoryBackend();
    try (var repo = Repository.init(backend, "pw", POL, FAST)) {
      var info = new RepositoryWriter.SnapshotInfo(List.of("/r"), "h", "u", List.of(),
          OffsetDateTime.of(2026, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC), "t");
      BackupRef ref;
      try (var w = new RepositoryWriter(repo, info, events::add)) {
        w.add(dir("r"));
        for (String d : List.of("r/a", "r/b", "r/c")) {
          w.add(dir(d));
          for (int i = 0; i < 30; i++) {
            byte[] c = i % 7 == 0 ? shared : random(rnd, rnd.nextInt(700_000));
            String path = d + "/f" + i;
            contents.put(path, c);
            w.add(file(path, c, readOn));
          }
          if (d.equals("r/c")) {
            w.add(new Entry("r/c/gone", Entry.Kind.FILE, 10, 0100644, T, 0, 0, "", "", null,
                () -> { throw new java.nio.file.NoSuchFileException("/r/c/gone"); }, INODES.incrementAndGet(), 1, T));
            // a second name of a file whose first name may still be being read
            w.add(new Entry("r/c/link", Entry.Kind.HARDLINK, 0, 0100644, T, 0, 0, "", "", "r/c/f29", null,
                INODES.get(), 1, T, 2));
          }
        }
        ref = w.finish();
      }
      assertThat(ref.files()).isEqualTo(91);
      assertThat(readOn).as("threads that read the files").allMatch(n -> n.startsWith("holdfast-read-"));
      assertThat(events).filteredOn(BackupEvent.Warning.class::isInstance).singleElement()
          .satisfies(ev -> assertThat(((BackupEvent.Warning) ev).path()).isEqualTo("/r/c/gone"));
      assertThat(events).filteredOn(BackupEvent.EntryDone.class::isInstance).hasSize(90); // the link is not read
      long total = contents.values().stream().mapToLong(c -> c.length).sum();
      assertThat(events.stream().filter(BackupEvent.BytesMoved.class::isInstance)
          .mapToLong(e -> ((BackupEvent.BytesMoved) e).bytes()).sum()).isEqualTo(total);

      Node r = repo.loadTree(repo.loadSnapshot(ObjectId.parse(ref.id())).tree()).nodes().get(0);
      List<Node> dirs = repo.loadTree(r.subtree()).nodes();
      assertThat(dirs).extracting(Node::name).containsExactly("a", "b", "c");
      for (Node d : dirs) {
        List<Node> files = repo.loadTree(d.subtree()).nodes();
        assertThat(files).hasSize(d.name().equals("c") ? 31 : 30);
        for (Node f : files) {
          String path = "r/" + d.name() + "/" + (f.name().equals("link") ? "f29" : f.name());
          var out = new ByteArrayOutputStream();
          repo.copyContent(f, out);
          assertThat(out.toByteArray()).as(path).isEqualTo(contents.get(path));
        }
      }
    }
  }

  @Test
  @org.junit.jupiter.api.Timeout(value = 120, threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD)
  void anAbandonedBackupStopsItsReadersAndStoresNothing() throws IOException, InterruptedException {
    var backend = new MemoryBackend();
    try (var repo = Repository.init(backend, "pw", POL, FAST)) {
      var info = new RepositoryWriter.SnapshotInfo(List.of("/r"), "h", "u", List.of(), OffsetDateTime.now(), "t");
      long started = System.nanoTime();
      try (var w = new RepositoryWriter(repo, info)) {
        w.add(dir("r"));
        for (int i = 0; i < 3; i++) { // far more than a test could read in time: the readers must stop
          long seed = i;
          w.add(new Entry("r/big" + i, Entry.Kind.FILE, 1L << 40, 0100644, T, 0, 0, "", "", null,
              () -> endless(seed), INODES.incrementAndGet(), 1, T));
        }
        Thread.sleep(300); // let the readers get going
      } // closed without finish
      assertThat(System.nanoTime() - started).as("closing waits only for the chunk in hand").isLessThan(60_000_000_000L);
      assertThat(backend.list("snapshots/").count()).isZero();
      assertThat(backend.list("locks/").count()).isZero();
      // an executor reports its termination a moment before its threads are gone; endless reads
      // would keep them alive for good
      for (Thread t : Thread.getAllStackTraces().keySet()) {
        if (t.getName().startsWith("holdfast-read-")) {
          t.join(10_000);
        }
      }
      assertThat(Thread.getAllStackTraces().keySet()).filteredOn(Thread::isAlive).extracting(Thread::getName)
          .noneMatch(n -> n.startsWith("holdfast-read-"));
    }
  }

  @Test
  void unchangedDirectoriesReuseTheParentsTreesWhileFilesAreReadInParallel() throws IOException {
    var backend = new MemoryBackend();
    List<String> dirs = List.of("r", "r/a", "r/a/x", "r/b", "r/c", "r/d", "r/d/e");
    try (var repo = Repository.init(backend, "pw", POL, FAST)) {
      ObjectId first = snapshotOf(repo, dirs, 1);
      ObjectId again = snapshotOf(repo, dirs, 2);
      Snapshot s1 = repo.loadSnapshot(first);
      Snapshot s2 = repo.loadSnapshot(again);
      assertThat(s2.parent()).isEqualTo(first);
      assertThat(s2.tree()).as("an unchanged tree is its parent's").isEqualTo(s1.tree());

      // r/c is gone, r/d/e changed
      ObjectId third = snapshotOf(repo, List.of("r", "r/a", "r/a/x", "r/b", "r/d", "r/d/e"), 3, "r/d/e");
      Node r = repo.loadTree(repo.loadSnapshot(third).tree()).nodes().get(0);
      List<Node> top = repo.loadTree(r.subtree()).nodes();
      assertThat(top).extracting(Node::name).containsExactly("a", "b", "d", "f");
      Node r1 = repo.loadTree(s1.tree()).nodes().get(0);
      Map<String, Node> before = new HashMap<>();
      repo.loadTree(r1.subtree()).nodes().forEach(n -> before.put(n.name(), n));
      assertThat(top.get(0).subtree()).isEqualTo(before.get("a").subtree());
      assertThat(top.get(1).subtree()).isEqualTo(before.get("b").subtree());
      assertThat(top.get(2).subtree()).isNotEqualTo(before.get("d").subtree());
      Node e = repo.loadTree(top.get(2).subtree()).nodes().get(0);
      var out = new ByteArrayOutputStream();
      repo.copyContent(repo.loadTree(e.subtree()).nodes().get(0), out);
      assertThat(out.toString(java.nio.charset.StandardCharsets.UTF_8)).isEqualTo("r/d/e/f changed");
    }
  }

  /** A backup of {@code dirs}, each with one file "f" (same inode, ctime and content every time unless named in {@code changed}). */
  private static ObjectId snapshotOf(Repository repo, List<String> dirs, int day, String... changed) {
    var info = new RepositoryWriter.SnapshotInfo(List.of("/r"), "h", "u", List.of(),
        OffsetDateTime.of(2026, 1, day, 0, 0, 0, 0, ZoneOffset.UTC), "t");
    try (var w = new RepositoryWriter(repo, info)) {
      for (String d : dirs) {
        w.add(new Entry(d, Entry.Kind.DIRECTORY, 0, 040755, T, 0, 0, "", "", null, null, d.hashCode() & 0xffff, 1, T));
        boolean isChanged = List.of(changed).contains(d);
        byte[] c = (d + "/f" + (isChanged ? " changed" : "")).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        Instant t = isChanged ? T.plusSeconds(day) : T;
        w.add(new Entry(d + "/f", Entry.Kind.FILE, c.length, 0100644, t, 0, 0, "", "", null,
            () -> new ByteArrayInputStream(c), (d + "/f").hashCode() & 0xffffff, 1, t));
      }
      return ObjectId.parse(w.finish().id());
    }
  }

  private static Entry dir(String path) {
    return new Entry(path, Entry.Kind.DIRECTORY, 0, 040755, T, 0, 0, "", "", null, null, INODES.incrementAndGet(), 1, T);
  }

  private static Entry file(String path, byte[] c, Set<String> readOn) {
    return new Entry(path, Entry.Kind.FILE, c.length, 0100644, T, 0, 0, "", "", null, () -> {
      readOn.add(Thread.currentThread().getName());
      return new ByteArrayInputStream(c);
    }, INODES.incrementAndGet(), 1, T);
  }

  private static byte[] random(Random rnd, int n) {
    byte[] b = new byte[n];
    rnd.nextBytes(b);
    return b;
  }

  /** Pseudo-random bytes without end, cheap to make. */
  private static InputStream endless(long seed) {
    return new InputStream() {
      private final Random rnd = new Random(seed);

      @Override
      public int read() {
        return rnd.nextInt(256);
      }

      @Override
      public int read(byte[] b, int off, int len) {
        for (int i = off; i < off + len; i += 8) {
          long v = rnd.nextLong();
          for (int j = 0; j < 8 && i + j < off + len; j++) {
            b[i + j] = (byte) (v >>> (8 * j));
          }
        }
        return len;
      }
    };
  }
}
