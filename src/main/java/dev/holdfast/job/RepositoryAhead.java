package dev.holdfast.job;

import dev.holdfast.backend.Backend;
import dev.holdfast.error.HoldfastException;
import dev.holdfast.repository.Repository;
import java.util.concurrent.FutureTask;

/**
 * A job's repository opened on a thread of its own ahead of its run: listing the key files and
 * deriving the master key (scrypt, 0.2 to 0.5 s) then overlap what a command does first (opening
 * the state store and its SQLite library, the job lock, the source checks) instead of following it.
 * Only for a repository job without "before" hooks, since such a hook may mount or unlock the
 * target. Opening only reads the repository (keys, config; the index waits for the run's lock). A
 * failure (wrong password, no repository) is thrown by {@link #take()}, where opening the
 * repository at the start of the run would have thrown it.
 */
public final class RepositoryAhead implements AutoCloseable {
  /** The opened repository and the backend under it; whoever takes them closes both. */
  record Opened(Backend backend, Repository repo) {}

  private final Job job;
  private final FutureTask<Opened> task;
  private boolean taken;

  private RepositoryAhead(Job job, BackendOpener backends) {
    this.job = job;
    this.task = new FutureTask<>(() -> {
      Backend b = backends.open(job.target());
      try {
        return new Opened(b, Repository.openDeferringIndex(b, job.repository().password().get()));
      } catch (RuntimeException | Error e) {
        b.close();
        throw e;
      }
    });
    Thread.ofPlatform().daemon().name("holdfast-repository-open").start(task);
    // the backup reads the extended attributes of what it stores: the libc binding is made meanwhile
    dev.holdfast.source.Xattrs.warmUpInBackground();
  }

  /** Starts opening {@code job}'s repository, or returns null when it should be opened in its run. */
  public static RepositoryAhead start(Job job, BackendOpener backends) {
    if (job.repository() == null || !job.hooks().before().isEmpty()) {
      return null;
    }
    return new RepositoryAhead(job, backends);
  }

  /** The repository opened for {@code j}, or null if this is another job's; the caller closes it. */
  synchronized Opened take(Job j) {
    if (j != job || taken) {
      return null;
    }
    Opened o = HoldfastException.await(task, "opening the repository"); // interrupted: close() still closes it
    taken = true;
    return o;
  }

  /** Closes what was opened and not taken (waiting for the opening to end). */
  @Override
  public synchronized void close() {
    if (taken) {
      return;
    }
    taken = true;
    try {
      Opened o = HoldfastException.await(task, "opening the repository"); // its failure was reported, or not needed
      try (Backend b = o.backend()) {
        o.repo().close();
      }
    } catch (RuntimeException e) {
      // opening failed, and nobody asked for it: the run never got that far
    }
  }
}
