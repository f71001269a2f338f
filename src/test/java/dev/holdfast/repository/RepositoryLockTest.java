package dev.holdfast.repository;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.holdfast.backend.Backend;
import dev.holdfast.backend.MemoryBackend;
import dev.holdfast.backend.ObjectInfo;
import dev.holdfast.backend.ObjectWriter;
import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import dev.holdfast.event.BackupEvent;
import dev.holdfast.event.EventSink;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Stale locks are removed and reported, live ones block, and a lock that was lost stops its holder. */
class RepositoryLockTest {
  private static final String PASSWORD = "pw";
  private static final KdfParams FAST = new KdfParams(1024, 8, 1);
  private static final long POL = 0x3DA3358B4DC173L;

  private static long deadPid() throws Exception {
    Process p = new ProcessBuilder("true").start();
    p.waitFor();
    return p.pid();
  }

  /** A fresh exclusive lock of a live process of this host (this one), as a prune would hold it. */
  private static ObjectId liveExclusiveLock(Repository repo) {
    return repo.saveLockFile(new LockFile(OffsetDateTime.now(ZoneOffset.UTC), true, Repository.hostname(), "me",
        ProcessHandle.current().pid(), 0, 0).toJson());
  }

  private static List<String> lockNames(Backend b) throws IOException {
    try (Stream<ObjectInfo> s = b.list("locks/")) {
      return s.map(ObjectInfo::key).toList();
    }
  }

  @Test
  void staleLocksAreRemovedAndReportedWithHolderAndAge() throws Exception {
    var backend = new MemoryBackend();
    try (var repo = Repository.init(backend, PASSWORD, POL, FAST)) {
      ObjectId old = repo.saveLockFile(new LockFile(OffsetDateTime.now(ZoneOffset.UTC).minusHours(3), true, "far-host",
          "alice", 4242, 0, 0).toJson());
      ObjectId dead = repo.saveLockFile(new LockFile(OffsetDateTime.now(ZoneOffset.UTC), false, Repository.hostname(),
          "bob", deadPid(), 0, 0).toJson());
      List<BackupEvent> events = new ArrayList<>();
      repo.setLockPolicy(Duration.ZERO, events::add);
      try (var lock = repo.lock(true)) {
        assertThat(lockNames(backend)).containsExactly("locks/" + lock.id().hex());
      }
      assertThat(lockNames(backend)).isEmpty();
      assertThat(events).hasSize(2).allMatch(e -> e instanceof BackupEvent.Attention);
      String all = events.stream().map(e -> ((BackupEvent.Attention) e).message()).reduce("", (a, b) -> a + "\n" + b);
      assertThat(all)
          .contains("stale lock " + old.hex().substring(0, 8) + " (exclusive) of PID 4242 on far-host (user alice), 3 h 0 min old")
          .contains("not refreshed for more than 30 minutes")
          .contains("stale lock " + dead.hex().substring(0, 8) + " of PID")
          .contains("no longer runs on this host");
    }
  }

  @Test
  void aLiveConflictingLockIsKeptAndGivesExit11() throws Exception {
    var backend = new MemoryBackend();
    try (var repo = Repository.init(backend, PASSWORD, POL, FAST)) {
      // a live process of this host (this one), and a fresh lock of another host
      liveExclusiveLock(repo);
      repo.saveLockFile(new LockFile(OffsetDateTime.now(ZoneOffset.UTC).minusMinutes(20), false, "other-host", "x",
          deadPid(), 0, 0).toJson());
      List<BackupEvent> events = new ArrayList<>();
      repo.setLockPolicy(Duration.ZERO, events::add);
      assertThatThrownBy(() -> repo.lock(false))
          .isInstanceOfSatisfying(HoldfastException.class, e -> {
            assertThat(e.exitCode()).isEqualTo(ExitCode.LOCKED);
            assertThat(e.getMessage()).contains("locked exclusively by PID " + ProcessHandle.current().pid());
            assertThat(e.hint()).contains("--retry-lock").contains("holdfast unlock");
          });
      assertThat(lockNames(backend)).as("neither live lock removed, our attempt gone").hasSize(2);
      assertThat(events).isEmpty();
    }
  }

  @Test
  void unlockRemovesStaleOnesAndWithRemoveAllEveryLock() throws Exception {
    var backend = new MemoryBackend();
    try (var repo = Repository.init(backend, PASSWORD, POL, FAST)) {
      try (var live = repo.lock(false)) {
        repo.saveLockFile(new LockFile(OffsetDateTime.now(ZoneOffset.UTC).minusMinutes(31), false, "h", "u", 1, 0, 0).toJson());
        backend.put("locks/" + "ab".repeat(32), new byte[] {1, 2, 3}); // another key's or damaged: unreadable
        List<RepositoryLock.Found> removed = RepositoryLock.remove(repo, false);
        assertThat(removed).hasSize(1);
        assertThat(removed.get(0).lock().hostname()).isEqualTo("h");
        assertThat(lockNames(backend)).hasSize(2).contains("locks/" + live.id().hex());
        assertThat(RepositoryLock.remove(repo, true)).hasSize(2);
        assertThat(lockNames(backend)).isEmpty();
      }
    }
  }

  @Test
  void aLockRemovedByAnotherProcessIsLostAndStopsTheSnapshot() throws Exception {
    var backend = new MemoryBackend();
    try (var repo = Repository.init(backend, PASSWORD, POL, FAST)) {
      try (var lock = RepositoryLock.tryAcquire(repo, false, EventSink.NONE, Clock.systemUTC(), false)) {
        lock.ensureHeld();
        lock.refresh();
        lock.ensureHeld();
        RepositoryLock.remove(repo, true); // unlock --remove-all elsewhere
        assertThat(lock.refreshQuietly()).isFalse();
        assertThat(lockNames(backend)).as("no new lock written once lost").isEmpty();
        assertThatThrownBy(lock::ensureHeld)
            .isInstanceOfSatisfying(HoldfastException.class, e -> {
              assertThat(e.exitCode()).isEqualTo(ExitCode.FAILED);
              assertThat(e.getMessage()).contains("lost the lock").contains("was removed by another process");
            });
      }
    }
  }

  /** A clock the test moves by hand. */
  private static final class ManualClock extends Clock {
    private Instant now = Instant.now();

    void advance(Duration d) {
      now = now.plus(d);
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  @Test
  void refreshFailuresAreToleratedUntilTheLockWouldLookStale() throws Exception {
    var memory = new MemoryBackend();
    var backend = new FlakyBackend(memory);
    var clock = new ManualClock();
    try (var repo = Repository.init(backend, PASSWORD, POL, FAST)) {
      try (var lock = RepositoryLock.tryAcquire(repo, true, EventSink.NONE, clock, false)) {
        backend.failing = true;
        clock.advance(Duration.ofMinutes(5));
        assertThat(lock.refreshQuietly()).isFalse();
        clock.advance(Duration.ofMinutes(10));
        assertThat(lock.refreshQuietly()).isFalse();
        lock.ensureHeld(); // 15 minutes without a refresh: others do not judge it stale yet
        backend.failing = false;
        assertThat(lock.refreshQuietly()).isTrue();
        backend.failing = true;
        clock.advance(RepositoryLock.GIVE_UP_AFTER.minusSeconds(1));
        assertThat(lock.refreshQuietly()).isFalse();
        lock.ensureHeld();
        clock.advance(Duration.ofSeconds(1));
        assertThat(lock.refreshQuietly()).isFalse();
        assertThatThrownBy(lock::ensureHeld)
            .isInstanceOfSatisfying(HoldfastException.class,
                e -> assertThat(e.getMessage()).contains("lost the lock").contains("could not be refreshed for 22 min"));
        backend.failing = false;
        assertThat(lock.refreshQuietly()).as("a lost lock stays lost").isFalse();
      }
    }
  }

  @Test
  void aHolderThatWasSuspendedPastTheLimitDoesNotTrustItsLock() throws Exception {
    var clock = new ManualClock();
    try (var repo = Repository.init(new MemoryBackend(), PASSWORD, POL, FAST)) {
      try (var lock = RepositoryLock.tryAcquire(repo, false, EventSink.NONE, clock, false)) {
        clock.advance(Duration.ofMinutes(40)); // no refresh ran at all
        assertThatThrownBy(lock::ensureHeld).hasMessageContaining("last refreshed 40 min ago");
      }
    }
  }

  @Test
  void aRepositoryOpenedForLockingReadsItsIndexOnlyOnceItsLockFileIsWritten() throws Exception {
    var memory = new MemoryBackend();
    ObjectId blob;
    try (var repo = Repository.init(memory, PASSWORD, POL, FAST)) {
      blob = repo.saveBlob(BlobType.DATA, "some data".getBytes());
      repo.flush();
    }
    var backend = new FlakyBackend(memory);
    try (var repo = Repository.openDeferringIndex(backend, PASSWORD)) {
      assertThat(backend.ops).noneMatch(o -> o.startsWith("list index/"));
      try (var lock = RepositoryLock.tryAcquire(repo, false, EventSink.NONE, Clock.systemUTC(), false)) {
        assertThat(backend.ops.stream().map(o -> o.replaceAll("[0-9a-f]{64}", "")).toList())
            .containsSubsequence("create locks/", "list index/", "list locks/");
        assertThat(repo.hasBlob(BlobType.DATA, blob)).isTrue();
      }
    }
  }

  @Test
  void anIndexReadDuringAFailedLockAttemptIsReadAgainByTheNext() throws Exception {
    var memory = new MemoryBackend();
    try (var repo = Repository.init(memory, PASSWORD, POL, FAST)) {
      repo.saveBlob(BlobType.DATA, "old data".getBytes());
      repo.flush();
    }
    var backend = new FlakyBackend(memory);
    try (var repo = Repository.openDeferringIndex(backend, PASSWORD);
        var other = Repository.open(memory, PASSWORD)) {
      // while this run reads the index, a prune of another host locks the repository exclusively
      backend.onIndexList = () -> other.saveLockFile(new LockFile(OffsetDateTime.now(ZoneOffset.UTC), true,
          "other-host", "x", 4242, 0, 0).toJson());
      assertThatThrownBy(() -> RepositoryLock.tryAcquire(repo, false, EventSink.NONE, Clock.systemUTC(), false))
          .isInstanceOfSatisfying(HoldfastException.class, e -> assertThat(e.exitCode()).isEqualTo(ExitCode.LOCKED));
      // it finishes, having changed the index; the next attempt must not trust the index read before
      backend.onIndexList = null;
      for (String lock : lockNames(memory)) {
        memory.delete(lock);
      }
      ObjectId added = other.saveBlob(BlobType.DATA, "new data".getBytes());
      other.flush();
      try (var lock = RepositoryLock.tryAcquire(repo, false, EventSink.NONE, Clock.systemUTC(), false)) {
        assertThat(backend.ops.stream().filter(o -> o.startsWith("list index/"))).hasSize(2);
        assertThat(repo.hasBlob(BlobType.DATA, added)).isTrue();
      }
    }
  }

  /** A backend whose writes fail while {@code failing} is set; it records what it is asked to do. */
  private static final class FlakyBackend implements Backend {
    private final Backend delegate;
    volatile boolean failing;
    final List<String> ops = java.util.Collections.synchronizedList(new ArrayList<>());
    volatile Runnable onIndexList;

    FlakyBackend(Backend delegate) {
      this.delegate = delegate;
    }

    private void maybeFail() throws IOException {
      if (failing) {
        throw new IOException("connection reset");
      }
    }

    @Override
    public String location() {
      return delegate.location();
    }

    @Override
    public ObjectWriter create(String key) throws IOException {
      maybeFail();
      ops.add("create " + key);
      return delegate.create(key);
    }

    @Override
    public InputStream open(String key, long offset, long length) throws IOException {
      return delegate.open(key, offset, length);
    }

    @Override
    public Optional<ObjectInfo> stat(String key) throws IOException {
      maybeFail();
      return delegate.stat(key);
    }

    @Override
    public Stream<ObjectInfo> list(String prefix) throws IOException {
      ops.add("list " + prefix);
      Runnable hook = onIndexList;
      if (hook != null && prefix.equals("index/")) {
        hook.run();
      }
      return delegate.list(prefix);
    }

    @Override
    public void delete(String key) throws IOException {
      delegate.delete(key);
    }

    @Override
    public void close() {
      delegate.close();
    }
  }

  @Test
  void aBackupLockRechecksLaterAndALockTakenInTheSameMomentFailsItBeforeAnyIndexIsWritten() throws Exception {
    var backend = new MemoryBackend();
    try (var repo = Repository.init(backend, PASSWORD, POL, FAST)) {
      // as lockForBackup, but the recheck waits to be asked for: the other lock is surely written by then
      var lock = RepositoryLock.tryAcquireDeferred(repo, EventSink.NONE);
      // another run (a prune, exclusive, alive: this process) wrote its lock in the same moment
      ObjectId prune = liveExclusiveLock(repo);
      lock.checkNotRaced(); // nothing known yet: the recheck is due 200 ms after our lock file
      repo.saveBlob(BlobType.DATA, new byte[] {1, 2, 3});
      assertThatThrownBy(repo::flush) // the index would name our pack: it waits for the recheck, which fails
          .isInstanceOfSatisfying(HoldfastException.class, e -> {
            assertThat(e.exitCode()).isEqualTo(ExitCode.LOCKED);
            assertThat(e.getMessage()).contains("locked exclusively").contains("at the same moment");
          });
      assertThat(backend.list("index/").count()).as("no index file").isZero();
      assertThatThrownBy(lock::ensureHeld).isInstanceOfSatisfying(HoldfastException.class,
          e -> assertThat(e.exitCode()).isEqualTo(ExitCode.LOCKED));
      assertThatThrownBy(lock::checkNotRaced).isInstanceOf(HoldfastException.class);
      lock.close();
      assertThat(lockNames(backend)).as("ours removed, the other kept").containsExactly("locks/" + prune.hex());
    }
  }

  @Test
  void aCompetingLockSeenByTheSecondLookFailsTheBackupEvenIfItGoesAfterwards() throws Exception {
    // Its holder may have pruned meanwhile: the index this backup read, and its new packs, can no
    // longer be trusted, so the backup must stop even when that lock is gone by the time it asks.
    var backend = new MemoryBackend();
    try (var repo = Repository.init(backend, PASSWORD, POL, FAST)) {
      var lock = RepositoryLock.tryAcquireDeferred(repo, EventSink.NONE); // lockForBackup, rechecking when asked
      ObjectId other = liveExclusiveLock(repo);
      lock.recheck();
      backend.delete("locks/" + other.hex());
      assertThatThrownBy(lock::ensureHeld).isInstanceOfSatisfying(HoldfastException.class,
          e -> assertThat(e.exitCode()).isEqualTo(ExitCode.LOCKED));
      repo.saveBlob(BlobType.DATA, new byte[] {4, 5, 6});
      assertThatThrownBy(repo::flush).isInstanceOf(HoldfastException.class);
      assertThat(backend.list("index/").count()).isZero();
      lock.close();
      assertThat(lockNames(backend)).isEmpty();
    }
  }

  @Test
  void staleLocksFoundByTheSecondLookAreReportedOnTheBackupsThread() throws Exception {
    var backend = new MemoryBackend();
    try (var repo = Repository.init(backend, PASSWORD, POL, FAST)) {
      List<String> threads = new ArrayList<>();
      var lock = RepositoryLock.tryAcquireDeferred(repo, e -> threads.add(Thread.currentThread().getName()));
      repo.saveLockFile(new LockFile(OffsetDateTime.now(ZoneOffset.UTC), true, Repository.hostname(), "bob",
          deadPid(), 0, 0).toJson()); // appeared between the two looks, its process already gone
      var recheck = new Thread(lock::recheck, "another-thread"); // the refresh thread, in a backup
      recheck.start();
      recheck.join();
      assertThat(threads).as("nothing published yet").isEmpty();
      lock.ensureHeld(); // stale: removed, not a conflict, and reported now, on this thread
      assertThat(threads).containsExactly(Thread.currentThread().getName());
      lock.close();
      assertThat(lockNames(backend)).isEmpty();
    }
  }

  @Test
  void aBackupLockWithoutCompetitionIsRecheckedOnItsRefreshThread() throws Exception {
    var backend = new MemoryBackend();
    try (var repo = Repository.init(backend, PASSWORD, POL, FAST)) {
      try (var lock = repo.lockForBackup()) {
        long until = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
        while (repo.awaitsLockRecheck() && System.nanoTime() < until) {
          Thread.sleep(20);
        }
        assertThat(repo.awaitsLockRecheck()).as("rechecked without anyone asking").isFalse();
        lock.ensureHeld();
      }
    }
  }

}
