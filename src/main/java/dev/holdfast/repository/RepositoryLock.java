package dev.holdfast.repository;

import dev.holdfast.backend.ObjectInfo;
import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import dev.holdfast.event.BackupEvent;
import dev.holdfast.event.EventSink;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A lock held in the repository (design.rst "Locks"): written after checking that no conflicting
 * lock exists, checked once more after a short wait (two writers may have raced), refreshed every
 * five minutes, and removed on close.
 */
public final class RepositoryLock implements AutoCloseable {
  static final Duration REFRESH_EVERY = Duration.ofMinutes(5);

  /**
   * restic's "refreshability timeout": once the last successful refresh is this old, the lock is
   * about to look stale to other runs (30 minutes), which may remove it and prune; the holder must
   * stop instead of writing a snapshot that refers to data that may be gone.
   */
  static final Duration GIVE_UP_AFTER =
      LockFile.STALE_AFTER.minus(REFRESH_EVERY.multipliedBy(3).dividedBy(2));

  /** A failed refresh is tried again this much sooner than the regular five minutes. */
  static final Duration REFRESH_RETRY = Duration.ofSeconds(30);

  /** restic's --retry-lock backoff: 5 s, doubling, at most a minute between attempts. */
  private static final Duration RETRY_FIRST = Duration.ofSeconds(5);
  private static final Duration RETRY_MAX = Duration.ofMinutes(1);
  private static final long RACE_WAIT_MILLIS = 200;

  private final Repository repo;
  private final LockFile template;
  private final Clock clock;
  private final ScheduledExecutorService refresher;
  private volatile ObjectId current;
  private Instant lastRefreshed;
  private String lost;
  private boolean closed;

  /**
   * For a lock taken with the recheck deferred ({@link Repository#lockForBackup}): when the recheck
   * is due (System.nanoTime()), 0 once it was done; and the conflict it found, if any.
   */
  private volatile long recheckDue;
  private volatile Conflict raced;
  private final java.util.concurrent.locks.ReentrantLock rechecking = new java.util.concurrent.locks.ReentrantLock();
  private final EventSink events;
  /** What the deferred recheck reported (stale locks it removed), for the caller's thread to publish. */
  private final java.util.Queue<BackupEvent> recheckEvents = new java.util.concurrent.ConcurrentLinkedQueue<>();

  private RepositoryLock(Repository repo, LockFile template, ObjectId current, Clock clock, boolean schedule,
      long recheckDue, EventSink events) {
    this.repo = repo;
    this.template = template;
    this.current = current;
    this.clock = clock;
    this.lastRefreshed = template.time().toInstant();
    this.recheckDue = recheckDue;
    this.events = events;
    HELD.add(this);
    if (recheckDue != 0) {
      repo.awaitLockRecheck(this);
    }
    if (!schedule) {
      this.refresher = null;
      return;
    }
    this.refresher =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "repository-lock-refresh");
              t.setDaemon(true);
              return t;
            });
    if (recheckDue != 0) {
      try {
        refresher.schedule(this::recheckQuietly, Math.max(0, recheckDue - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        // closed meanwhile
      }
    }
    scheduleRefresh(REFRESH_EVERY);
  }

  private void recheckQuietly() {
    try {
      recheck();
    } catch (RuntimeException e) {
      // listing the locks failed: the recheck stays due, and whoever next needs it (an index or
      // snapshot about to be written) does it and reports the error
    }
  }

  /**
   * The second look for competing locks of a lock taken with the recheck deferred, 200 ms after
   * its file was written, as {@link #tryAcquire} makes before returning. Any live conflicting lock
   * it finds makes this lock fail with exit 11 ({@link #checkNotRaced}): the run that holds it may
   * already be pruning, so the index this run read may be out of date and its new packs deleted;
   * the run must stop before it writes an index or a snapshot, and is not retried (there is no
   * going back to before its index was read). Waits for the rest of the 200 ms; does nothing once
   * done.
   */
  public void recheck() {
    if (recheckDue == 0) {
      return;
    }
    rechecking.lock();
    try {
      long due = recheckDue;
      if (due == 0) {
        return;
      }
      sleepUntil(due);
      try {
        checkConflicts(repo, template.exclusive(), current, template.hostname(), recheckEvents::add);
      } catch (Conflict c) {
        raced = c;
      }
      recheckDue = 0;
      if (raced == null) {
        repo.lockRechecked(this); // raced: index writes keep failing until the lock is closed
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new HoldfastException(ExitCode.INTERRUPTED, "interrupted while locking the repository");
    } finally {
      rechecking.unlock();
    }
  }

  /**
   * For the thread that runs the backup: publishes what the deferred recheck reported, and throws
   * the conflict it found (exit 11), if any; a volatile read otherwise.
   */
  public void checkNotRaced() {
    BackupEvent e;
    while ((e = recheckEvents.poll()) != null) {
      events.publish(e);
    }
    throwIfRaced();
  }

  /** Throws the conflict the deferred recheck found (exit 11), if it found one. */
  void throwIfRaced() {
    Conflict c = raced;
    if (c != null) {
      throw new HoldfastException(c.exitCode(), c.getMessage() + " (it took its lock at the same moment as this run,"
          + " which stopped before writing an index or a snapshot)", c.hint());
    }
  }

  private void scheduleRefresh(Duration after) {
    try {
      refresher.schedule(this::refreshAndReschedule, after.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // closed meanwhile
    }
  }

  private void refreshAndReschedule() {
    boolean ok = refreshQuietly();
    synchronized (this) {
      if (closed || lost != null) {
        return;
      }
    }
    scheduleRefresh(ok ? REFRESH_EVERY : REFRESH_RETRY);
  }

  /** A conflicting lock held by a live run; {@code retry} may wait for it to go. */
  static final class Conflict extends HoldfastException {
    Conflict(String message) {
      super(ExitCode.LOCKED, message,
          "wait for that run to finish (--retry-lock 30m waits for it), or if it is gone, remove its lock with "
              + "'holdfast unlock' (a live lock: 'holdfast unlock --remove-all')");
    }
  }

  /**
   * Takes a lock; while a live conflicting lock exists, tries again until {@code retry} has passed
   * (restic's --retry-lock), then fails with exit 11. Stale locks met on the way are removed and
   * reported to {@code events}.
   */
  static RepositoryLock acquire(Repository repo, boolean exclusive, Duration retry, EventSink events) {
    return acquire(repo, exclusive, retry, events, false);
  }

  /**
   * Like {@link #acquire(Repository, boolean, Duration, EventSink)}; with {@code deferRecheck}
   * the lock is returned once its file is written and the index read, and the second look for
   * competing locks is made 200 ms after the file was written, on the refresh thread, while the
   * caller goes on ({@link #recheck}).
   */
  static RepositoryLock acquire(Repository repo, boolean exclusive, Duration retry, EventSink events, boolean deferRecheck) {
    Instant deadline = Instant.now().plus(retry);
    Duration pause = RETRY_FIRST;
    boolean told = false;
    while (true) {
      try {
        return tryAcquire(repo, exclusive, events, Clock.systemUTC(), true, deferRecheck);
      } catch (Conflict c) {
        Duration left = Duration.between(Instant.now(), deadline);
        if (left.isNegative() || left.isZero()) {
          if (retry.isZero()) {
            throw c;
          }
          throw new HoldfastException(ExitCode.LOCKED,
              c.getMessage() + " (still locked after retrying for " + human(retry) + ")", c.hint());
        }
        if (!told) {
          events.publish(new BackupEvent.Note(c.getMessage() + "; retrying for up to " + human(retry)));
          told = true;
        }
        try {
          Thread.sleep(Math.min(pause.toMillis(), left.toMillis()));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new HoldfastException(ExitCode.INTERRUPTED, "interrupted while waiting for the repository lock");
        }
        pause = pause.multipliedBy(2).compareTo(RETRY_MAX) > 0 ? RETRY_MAX : pause.multipliedBy(2);
      }
    }
  }

  /** One attempt with the recheck deferred and no refresh thread: the recheck runs only when asked for (tests). */
  static RepositoryLock tryAcquireDeferred(Repository repo, EventSink events) {
    return tryAcquire(repo, false, events, Clock.systemUTC(), false, true);
  }

  /** One attempt; {@code schedule} false leaves refreshing to the caller (tests). */
  static RepositoryLock tryAcquire(Repository repo, boolean exclusive, EventSink events, Clock clock, boolean schedule) {
    return tryAcquire(repo, exclusive, events, clock, schedule, false);
  }

  private static RepositoryLock tryAcquire(Repository repo, boolean exclusive, EventSink events, Clock clock,
      boolean schedule, boolean deferRecheck) {
    String host = Repository.hostname();
    var mine =
        new LockFile(
            OffsetDateTime.now(clock),
            exclusive,
            host,
            System.getProperty("user.name", ""),
            ProcessHandle.current().pid(),
            0,
            0);
    checkConflicts(repo, exclusive, null, host, events);
    HangupGuard.enter(); // before the lock file exists: restic may probe us with SIGHUP from then on
    ObjectId id;
    try {
      id = repo.saveLockFile(mine.toJson());
    } catch (HoldfastException e) {
      HangupGuard.exit();
      if (exclusive || e.hint() != null) {
        throw e;
      }
      throw new HoldfastException(e.exitCode(), e.getMessage(),
          "on read-only storage (or with read-only credentials), restore and verify read it with --no-lock", e);
    } catch (RuntimeException e) {
      HangupGuard.exit();
      throw e;
    }
    long written = System.nanoTime();
    boolean readIndex = false;
    try {
      // A run that wrote its lock file at the same moment may not have seen ours: look again once it
      // has had time to be listed. The wait reads the index meanwhile (if the repository was opened
      // without it): read now, with our lock in place, no prune can change it from under this run.
      readIndex = repo.loadPendingIndex();
      long recheckDue = written + RACE_WAIT_MILLIS * 1_000_000;
      if (deferRecheck) {
        return new RepositoryLock(repo, mine, id, clock, schedule, recheckDue, events);
      }
      sleepUntil(recheckDue);
      checkConflicts(repo, exclusive, id, host, events);
      return new RepositoryLock(repo, mine, id, clock, schedule, 0, events);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      forget(repo, id, readIndex);
      throw new HoldfastException(ExitCode.INTERRUPTED, "interrupted while locking the repository");
    } catch (RuntimeException | Error e) {
      // an Error too: reading the index can run out of memory, and a lock file left behind would
      // block other runs' exclusive locks until it went stale
      forget(repo, id, readIndex);
      throw e;
    }
  }

  /** Sleeps until {@code System.nanoTime()} reaches {@code due}: the end of the race wait after a lock file is written. */
  private static void sleepUntil(long due) throws InterruptedException {
    long left = due - System.nanoTime();
    if (left > 0) {
      Thread.sleep(left / 1_000_000, (int) (left % 1_000_000));
    }
  }

  /** Undoes a failed attempt: our lock file, and an index read under it (a retry reads it again). */
  private static void forget(Repository repo, ObjectId id, boolean readIndex) {
    delete(repo, id);
    HangupGuard.exit();
    if (readIndex) {
      repo.unloadIndex();
    }
  }

  /**
   * Exclusive wanted: any live lock conflicts; shared wanted: only live exclusive locks do. Stale
   * locks are removed on the way, whatever their kind: their holder is gone.
   */
  private static void checkConflicts(Repository repo, boolean exclusive, ObjectId ours, String host, EventSink events) {
    Instant now = Instant.now();
    for (Found f : list(repo, now, host)) {
      if (ours != null && f.name().equals(ours.hex())) {
        continue;
      }
      if (f.lock() == null) {
        continue; // restic ignores locks it cannot read, too (they may be deleted while listing)
      }
      if (f.stale() != null) {
        removeStale(repo, f, now, events);
        continue;
      }
      if (exclusive || f.lock().exclusive()) {
        throw new Conflict("repository at " + repo.backend().location() + " is locked "
            + (f.lock().exclusive() ? "exclusively " : "") + "by " + f.holder() + " since " + f.lock().time());
      }
    }
  }

  private static void removeStale(Repository repo, Found f, Instant now, EventSink events) {
    try {
      repo.backend().delete("locks/" + f.name());
    } catch (IOException e) {
      throw HoldfastException.io("removing stale lock " + f.name().substring(0, 8) + " from " + repo.backend().location(), e);
    }
    events.publish(new BackupEvent.Attention(f.describe(now) + " removed: " + f.stale()));
  }

  /**
   * A lock file in the repository.
   *
   * @param name its file name (the hash)
   * @param lock its content, or null when it cannot be read (damaged, or another key's)
   * @param stale why it is stale, or null when its holder may still be running
   */
  public record Found(String name, LockFile lock, String stale) {
    String holder() {
      return "PID " + lock.pid() + " on " + lock.hostname() + (lock.username().isEmpty() ? "" : " (user " + lock.username() + ")");
    }

    /** "stale lock 1a2b3c4d (exclusive) of PID 42 on nas (user root), 3h 2m old". */
    public String describe(Instant now) {
      if (lock == null) {
        return "unreadable lock " + name.substring(0, Math.min(8, name.length()));
      }
      return (stale != null ? "stale " : "") + "lock " + name.substring(0, 8) + (lock.exclusive() ? " (exclusive)" : "")
          + " of " + holder() + ", " + human(Duration.between(lock.time().toInstant(), now)) + " old";
    }
  }

  /** Every lock file in the repository, each judged stale or not as of {@code now} on {@code host}. */
  static List<Found> list(Repository repo, Instant now, String host) {
    List<ObjectInfo> files;
    try (Stream<ObjectInfo> s = repo.backend().list("locks/")) {
      files = s.toList();
    } catch (IOException e) {
      throw HoldfastException.io("listing locks in " + repo.backend().location(), e);
    }
    var out = new ArrayList<Found>();
    for (ObjectInfo info : files) {
      String name = info.key().substring("locks/".length());
      if (!ObjectId.isHex(name)) {
        continue; // an upload in progress, not a lock
      }
      LockFile lock;
      try {
        lock = LockFile.parse(repo.loadLockFile(info), "lock " + name);
      } catch (HoldfastException | IOException e) {
        out.add(new Found(name, null, null));
        continue;
      }
      out.add(new Found(name, lock, lock.staleReason(now, host)));
    }
    return out;
  }

  /** Every lock file, judged as of now on this host (for {@code unlock}). */
  public static List<Found> list(Repository repo) {
    return list(repo, Instant.now(), Repository.hostname());
  }

  /**
   * Removes stale locks, or with {@code all} every lock (restic's {@code unlock --remove-all}: also
   * live ones, and ones this password cannot read); returns what was removed.
   */
  public static List<Found> remove(Repository repo, boolean all) {
    var removed = new ArrayList<Found>();
    for (Found f : list(repo)) {
      if (all || f.stale() != null) {
        try {
          repo.backend().delete("locks/" + f.name());
        } catch (IOException e) {
          throw HoldfastException.io("removing lock " + f.name().substring(0, 8) + " from " + repo.backend().location(), e);
        }
        removed.add(f);
      }
    }
    return removed;
  }

  /** Writes a lock file with the current time and removes the previous one. */
  public synchronized void refresh() {
    if (closed || lost != null) {
      return;
    }
    // Our file gone means someone judged us stale (or ran unlock --remove-all) and a prune may
    // have started: going on could store a snapshot that refers to deleted data.
    try {
      if (repo.backend().stat("locks/" + current.hex()).isEmpty()) {
        lost = "its lock file " + current.shortHex() + " was removed by another process";
        return;
      }
    } catch (IOException e) {
      throw HoldfastException.io("checking the lock in " + repo.backend().location(), e);
    }
    var fresh =
        new LockFile(
            OffsetDateTime.now(clock),
            template.exclusive(),
            template.hostname(),
            template.username(),
            template.pid(),
            template.uid(),
            template.gid());
    ObjectId next = repo.saveLockFile(fresh.toJson());
    ObjectId old = current;
    current = next;
    lastRefreshed = fresh.time().toInstant();
    delete(repo, old);
  }

  /** Refreshes; a failure only counts once refreshing has failed for too long. Returns whether it worked. */
  synchronized boolean refreshQuietly() {
    try {
      refresh();
      return lost == null;
    } catch (RuntimeException e) {
      Duration since = Duration.between(lastRefreshed, clock.instant());
      if (since.compareTo(GIVE_UP_AFTER) >= 0) {
        lost = "it could not be refreshed for " + human(since) + " (last error: " + e.getMessage() + ")";
      }
      return false;
    }
  }

  /**
   * Fails when the lock can no longer be trusted: its file was removed by someone else, or it was
   * not refreshed in time (restic: "failed to refresh lock in time"); callers check before they
   * store something that must not race with a prune.
   */
  public void ensureHeld() {
    recheck();
    checkNotRaced();
    ensureNotLost();
  }

  private synchronized void ensureNotLost() {
    if (lost == null && !closed && Duration.between(lastRefreshed, clock.instant()).compareTo(GIVE_UP_AFTER) >= 0) {
      // the refresher did not run at all (the process was suspended, say)
      lost = "it was last refreshed " + human(Duration.between(lastRefreshed, clock.instant())) + " ago";
    }
    if (lost == null && !closed) {
      try {
        if (repo.backend().stat("locks/" + current.hex()).isEmpty()) {
          lost = "its lock file was removed by someone else (unlock --remove-all?)";
        }
      } catch (java.io.IOException | RuntimeException e) {
        // cannot tell now; the refresher keeps checking, and gives up after GIVE_UP_AFTER
      }
    }
    if (lost != null) {
      throw new HoldfastException(ExitCode.FAILED,
          "lost the lock on the repository at " + repo.backend().location() + ": " + lost,
          "nothing more was stored; run again (data already uploaded is reused)");
    }
  }

  /** The id of the lock file currently held. */
  public synchronized ObjectId id() {
    return current;
  }

  private static void delete(Repository repo, ObjectId id) {
    try {
      repo.backend().delete("locks/" + id.hex());
    } catch (IOException | RuntimeException e) {
      // Best effort: a leftover lock turns stale and the next run removes it.
    }
  }

  /** "45 s", "12 min", "3 h 2 min", "4 d 1 h". */
  static String human(Duration d) {
    long s = Math.max(0, d.toSeconds());
    if (s < 120) {
      return s + " s";
    }
    long m = s / 60;
    if (m < 120) {
      return m + " min";
    }
    long h = m / 60;
    if (h < 48) {
      return h + " h " + (m % 60) + " min";
    }
    return (h / 24) + " d " + (h % 24) + " h";
  }

  @Override
  public void close() {
    ScheduledExecutorService r;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      r = refresher;
      if (r != null) {
        r.shutdownNow();
      }
    }
    if (r != null) {
      // a refresh or recheck under way ends (interrupted) before the backend may be closed
      try {
        r.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    finishClose();
  }

  private synchronized void finishClose() {
    repo.lockRechecked(this); // an index written after this is not ours to guard
    delete(repo, current);
    HELD.remove(this);
    HangupGuard.exit();
  }

  /**
   * The locks this process holds, for a shutdown hook that deletes their files when SIGTERM or
   * Ctrl-C ends it (systemd stop, a cron timeout, {@code kill}): the run's own code never reaches
   * its close. Left behind, a lock blocks other hosts and restic for 30 minutes, until it counts as
   * stale (on this host the next run sees its process is gone). restic removes its locks on SIGINT
   * and SIGTERM too.
   */
  private static final dev.holdfast.error.ExitCleanup<RepositoryLock> HELD =
      new dev.holdfast.error.ExitCleanup<>("repository-lock-release", RepositoryLock::releaseOnExit);

  /**
   * A refresh under way writes the next lock file before it names it current: it is stopped (and
   * awaited, briefly) first, so the file deleted is the last one written. Not synchronized on the
   * lock: a refresh stuck on the network must not hold up the exit.
   */
  private void releaseOnExit() {
    ScheduledExecutorService r = refresher;
    if (r != null) {
      r.shutdownNow();
      try {
        r.awaitTermination(2, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    delete(repo, current);
  }
}
