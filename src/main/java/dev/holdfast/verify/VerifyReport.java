package dev.holdfast.verify;

import java.util.List;

/**
 * The outcome of verifying one backup: every problem found, each naming the entry it concerns
 * (or "" for the backup as a whole).
 */
public record VerifyReport(String backup, long entries, long bytes, List<Problem> problems, String note) {
  public VerifyReport(String backup, long entries, long bytes, List<Problem> problems) {
    this(backup, entries, bytes, problems, null);
  }

  public record Problem(String entry, String message) {}

  public boolean ok() {
    return problems.isEmpty();
  }
}
