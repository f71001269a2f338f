package dev.holdfast.job;

import java.time.Duration;
import java.time.Instant;

/** How current a job's backups are: the rule {@code status} and the dashboard share. */
public final class Freshness {
  private Freshness() {}

  /**
   * "missing" (no backup), "stale" (the newest is older than max_age), "failing" (the last run
   * failed), else "ok".
   */
  public static String of(Instant newest, Duration maxAge, Instant now, String lastRunStatus) {
    if (newest == null) {
      return "missing";
    }
    long age = Duration.between(newest, now).toSeconds();
    return age > maxAge.toSeconds() ? "stale" : "FAILURE".equals(lastRunStatus) ? "failing" : "ok";
  }
}
