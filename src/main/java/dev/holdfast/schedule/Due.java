package dev.holdfast.schedule;

import java.time.Instant;

/**
 * A job the scheduler wants started now: the scheduled time it stands for, when it became due
 * (that time, or the time a missed run was noticed, plus the random delay), and why.
 */
public record Due(String job, Instant scheduledFor, Instant runAt, Kind kind) {
  /** Why a job is due. */
  public enum Kind {
    /** Its scheduled time came while the scheduler was watching and the job was idle. */
    ON_TIME,
    /**
     * Its scheduled time passed while the daemon was down or the job was still running; one run
     * stands for every slot missed since the last start (systemd's {@code Persistent=true}).
     */
    CATCH_UP
  }
}
