package dev.holdfast.config;

/**
 * The top-level {@code log:} settings: the run log is rotated when it grows past {@code maxSize}
 * bytes, keeping {@code keep} old files ({@code holdfast.log.1} newest).
 */
public record LogSpec(long maxSize, int keep) {
  public static final long DEFAULT_MAX_SIZE = 10L * 1024 * 1024;
  public static final int DEFAULT_KEEP = 5;

  public static LogSpec defaults() {
    return new LogSpec(DEFAULT_MAX_SIZE, DEFAULT_KEEP);
  }
}
