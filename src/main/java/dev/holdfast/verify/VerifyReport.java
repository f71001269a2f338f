package dev.holdfast.verify;

import java.util.List;

/**
 * The outcome of verifying one backup: every problem found, each naming the entry it concerns
 * (or "" for the backup as a whole), and what a restore test did with each database dump.
 */
public record VerifyReport(String backup, long entries, long bytes, List<Problem> problems, String note,
    List<EntryCheck> checks) {
  public VerifyReport(String backup, long entries, long bytes, List<Problem> problems) {
    this(backup, entries, bytes, problems, null);
  }

  public VerifyReport(String backup, long entries, long bytes, List<Problem> problems, String note) {
    this(backup, entries, bytes, problems, note, List.of());
  }

  public record Problem(String entry, String message) {}

  /** What happened to one entry beyond reading it (a database dump's scratch restore). */
  public record EntryCheck(String entry, Outcome outcome, String detail) {
    /** Worth a WARNING line: the check could not be done, or left something behind. */
    public boolean warning() {
      return outcome == Outcome.SKIPPED || outcome == Outcome.NOT_DROPPED;
    }
  }

  public enum Outcome {
    /** Loaded into a scratch database, queried, dropped. */
    RESTORED,
    /** Checked as a file only, by design (a server's global objects). */
    FILE_ONLY,
    /** Not restore-tested: no server to test on. */
    SKIPPED,
    /** The scratch database could not be dropped. */
    NOT_DROPPED
  }

  public boolean ok() {
    return problems.isEmpty();
  }
}
