package dev.holdfast.state;

import java.time.Instant;

/**
 * One run of a job, successful or not, as kept in the local state store.
 *
 * @param status SUCCESS, PARTIAL (some files unreadable) or FAILURE
 */
public record RunRecord(
    long id,
    String job,
    String host,
    Instant started,
    Instant finished,
    String status,
    String target,
    String backup,
    long size,
    long files,
    long bytes,
    long warnings,
    int exitCode,
    String error) {

  /** This record as stored under {@code newId}. */
  public RunRecord withId(long newId) {
    return new RunRecord(newId, job, host, started, finished, status, target, backup, size, files, bytes, warnings,
        exitCode, error);
  }
}
