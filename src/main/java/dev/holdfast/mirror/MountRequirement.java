package dev.holdfast.mirror;

import java.nio.file.Path;
import java.time.Duration;

/**
 * A destination on a removable or network drive: refuse to write unless {@code dir} is mounted,
 * waiting up to {@code waitFor} for it.
 *
 * @param whenAbsent what an absent mount makes of the run
 */
public record MountRequirement(Path dir, Duration waitFor, WhenAbsent whenAbsent) {
  /** What to do when the mount is still absent after waiting. */
  public enum WhenAbsent {
    /** Record the run as SKIPPED and exit 6: a drive that is not plugged in is not a failure. */
    SKIP,
    /** Fail the run with exit 10 (target does not exist). */
    FAIL;

    public static WhenAbsent parse(String s) {
      return switch (s.strip().toLowerCase(java.util.Locale.ROOT)) {
        case "skip" -> SKIP;
        case "fail" -> FAIL;
        default -> throw new IllegalArgumentException("'" + s + "' is not one of: skip, fail");
      };
    }
  }

  /** Polls until the directory is a mount point or the wait is over; true when it is mounted. */
  public boolean await(java.util.function.LongConsumer sleeper) {
    long deadline = System.nanoTime() + waitFor.toNanos();
    while (true) {
      if (MountPoint.isMountPoint(dir)) {
        return true;
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      sleeper.accept(Math.min(1000, Math.max(1, left / 1_000_000)));
    }
  }
}
