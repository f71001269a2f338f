package dev.holdfast.job;

import java.time.Duration;
import java.util.List;

/** Shell commands run before a job, after it succeeds, and after it fails. */
public record Hooks(List<String> before, List<String> after, List<String> onFailure, Duration timeout) {
  public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(5);

  public static Hooks none() {
    return new Hooks(List.of(), List.of(), List.of(), DEFAULT_TIMEOUT);
  }
}
