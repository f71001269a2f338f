package dev.holdfast.schedule;

import java.time.Duration;
import java.util.Objects;

/**
 * A job as the scheduler sees it: its name, when it runs, and the largest random delay added to
 * each run so that many hosts on one schedule do not hit a shared target at the same second
 * (systemd's {@code RandomizedDelaySec=}).
 */
public record ScheduledJob(String name, CronSchedule schedule, Duration randomizedDelay) {
  public ScheduledJob {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(schedule, "schedule");
    Objects.requireNonNull(randomizedDelay, "randomizedDelay");
    if (name.isBlank()) {
      throw new IllegalArgumentException("a scheduled job needs a name");
    }
    if (randomizedDelay.isNegative()) {
      throw new IllegalArgumentException(
          "job " + name + ": randomized delay must not be negative, got " + randomizedDelay);
    }
  }

  public ScheduledJob(String name, CronSchedule schedule) {
    this(name, schedule, Duration.ZERO);
  }
}
