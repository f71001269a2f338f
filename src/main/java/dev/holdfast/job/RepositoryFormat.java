package dev.holdfast.job;

import java.time.Duration;
import java.util.function.Supplier;

/**
 * A job writes snapshots into a restic-format repository instead of archives; the password is
 * read only when the run opens the repository, and never printed.
 *
 * @param retryLock how long a run waits for a conflicting lock held by another run (zero: fail at once)
 */
public record RepositoryFormat(Supplier<String> password, Duration retryLock) {
  public RepositoryFormat(Supplier<String> password) {
    this(password, Duration.ZERO);
  }

  public RepositoryFormat withRetryLock(Duration d) {
    return new RepositoryFormat(password, d);
  }

  @Override
  public String toString() {
    return "RepositoryFormat[password=***, retryLock=" + retryLock + "]";
  }
}
