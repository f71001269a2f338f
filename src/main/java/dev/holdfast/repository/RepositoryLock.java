package dev.holdfast.repository;

import dev.holdfast.backend.ObjectInfo;
import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
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
  private static final long RACE_WAIT_MILLIS = 200;

  private final Repository repo;
  private final LockFile template;
  private final ScheduledExecutorService refresher;
  private ObjectId current;
  private boolean closed;

  private RepositoryLock(Repository repo, LockFile template, ObjectId current) {
    this.repo = repo;
    this.template = template;
    this.current = current;
    this.refresher =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "repository-lock-refresh");
              t.setDaemon(true);
              return t;
            });
    long every = REFRESH_EVERY.toSeconds();
    refresher.scheduleAtFixedRate(this::refreshQuietly, every, every, TimeUnit.SECONDS);
  }

  static RepositoryLock acquire(Repository repo, boolean exclusive) {
    String host = Repository.hostname();
    var mine =
        new LockFile(
            OffsetDateTime.now(Clock.systemUTC()),
            exclusive,
            host,
            System.getProperty("user.name", ""),
            ProcessHandle.current().pid(),
            0,
            0);
    checkConflicts(repo, exclusive, null, host);
    ObjectId id = repo.saveLockFile(mine.toJson());
    try {
      Thread.sleep(RACE_WAIT_MILLIS);
      checkConflicts(repo, exclusive, id, host);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      delete(repo, id);
      throw new HoldfastException(ExitCode.INTERRUPTED, "interrupted while locking the repository");
    } catch (RuntimeException e) {
      delete(repo, id);
      throw e;
    }
    return new RepositoryLock(repo, mine, id);
  }

  /** Exclusive wanted: any live lock conflicts; shared wanted: only live exclusive locks do. */
  private static void checkConflicts(Repository repo, boolean exclusive, ObjectId ours, String host) {
    List<ObjectInfo> locks;
    try (Stream<ObjectInfo> s = repo.backend().list("locks/")) {
      locks = s.toList();
    } catch (IOException e) {
      throw HoldfastException.io("listing locks in " + repo.backend().location(), e);
    }
    Instant now = Instant.now();
    for (ObjectInfo info : locks) {
      String name = info.key().substring("locks/".length());
      if (ours != null && name.equals(ours.hex())) {
        continue;
      }
      LockFile other;
      try {
        other = LockFile.parse(repo.loadLockFile(info), "lock " + name);
      } catch (HoldfastException | IOException e) {
        continue; // restic ignores locks it cannot read, too (they may be deleted while listing)
      }
      if ((exclusive || other.exclusive()) && !other.isStale(now, host)) {
        throw new HoldfastException(
            ExitCode.LOCKED,
            "repository at " + repo.backend().location() + " is locked "
                + (other.exclusive() ? "exclusively " : "")
                + "by PID " + other.pid() + " on " + other.hostname() + " by " + other.username()
                + " since " + other.time(),
            "wait for that run to finish, or remove a stale lock with 'restic unlock'");
      }
    }
  }

  /** Writes a lock file with the current time and removes the previous one. */
  public synchronized void refresh() {
    if (closed) {
      return;
    }
    var fresh =
        new LockFile(
            OffsetDateTime.now(Clock.systemUTC()),
            template.exclusive(),
            template.hostname(),
            template.username(),
            template.pid(),
            template.uid(),
            template.gid());
    ObjectId next = repo.saveLockFile(fresh.toJson());
    ObjectId old = current;
    current = next;
    delete(repo, old);
  }

  private void refreshQuietly() {
    try {
      refresh();
    } catch (RuntimeException e) {
      // The next refresh tries again; the lock only turns stale after 30 minutes.
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
      // Best effort: a leftover lock turns stale and other writers ignore it.
    }
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    refresher.shutdownNow();
    delete(repo, current);
  }
}
