package dev.holdfast.job;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/** Shell commands run before a job, after it succeeds, and after it fails. */
public record Hooks(List<String> before, List<String> after, List<String> onFailure, Duration timeout) {
  public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(5);

  public static Hooks none() {
    return new Hooks(List.of(), List.of(), List.of(), DEFAULT_TIMEOUT);
  }

  /** The variables every hook of a run sees; the run adds what it learns as it goes. */
  public static Map<String, String> environment(String job, String target, String host) {
    Map<String, String> env = new java.util.LinkedHashMap<>();
    env.put("HOLDFAST_JOB", job);
    env.put("HOLDFAST_TARGET", target);
    env.put("HOLDFAST_HOST", host);
    return env;
  }

  /**
   * Runs one phase's commands in order, each announced in the run log first; the first that fails
   * or times out stops the phase with an exception naming it.
   */
  public void run(String phase, List<String> commands, Map<String, String> env, RunLog log) {
    for (String c : commands) {
      log.line("INFO", phase + " hook: " + c);
      HookRunner.run(phase, c, timeout, env);
    }
  }
}
