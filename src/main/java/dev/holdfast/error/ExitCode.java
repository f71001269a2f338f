package dev.holdfast.error;

/**
 * Process exit codes; documented in docs/exit-codes.md. Codes may be added, never renumbered.
 * Where restic has a code for the same situation we use restic's number so scripts port over.
 */
public enum ExitCode {
  OK(0),
  FAILED(1),
  USAGE(2),
  PARTIAL(3),
  DAMAGED(4),
  /** The newest backup of a job is older than its max_age (status). */
  STALE(5),
  /** A mirror run skipped because its destination's drive is not mounted (when_absent: skip). */
  SKIPPED(6),
  TARGET_MISSING(10),
  LOCKED(11),
  WRONG_KEY(12),
  UNREACHABLE(13),
  INTERRUPTED(130);

  private final int code;

  ExitCode(int code) {
    this.code = code;
  }

  public int code() {
    return code;
  }
}
