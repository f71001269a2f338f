package dev.holdfast.job;

import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs one hook command with {@code sh -c}, a timeout and the run's environment variables. */
final class HookRunner {
  private HookRunner() {}

  /** Runs the command; returns its combined output, or throws naming the hook and its output. */
  static String run(String phase, String command, Duration timeout, Map<String, String> env) {
    ProcessBuilder pb = new ProcessBuilder("/bin/sh", "-c", command).redirectErrorStream(true);
    pb.environment().putAll(env);
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      throw HoldfastException.io("starting " + phase + " hook '" + command + "'", e);
    }
    CompletableFuture<String> output =
        CompletableFuture.supplyAsync(() -> {
          try {
            return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
          } catch (IOException e) {
            return "";
          }
        });
    try {
      p.getOutputStream().close();
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        throw new HoldfastException(ExitCode.FAILED,
            phase + " hook '" + command + "' did not finish within " + timeout.toSeconds() + " s and was killed");
      }
      String out = output.get(10, TimeUnit.SECONDS);
      if (p.exitValue() != 0) {
        throw new HoldfastException(ExitCode.FAILED,
            phase + " hook '" + command + "' failed with exit code " + p.exitValue() + tail(out));
      }
      return out;
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new HoldfastException(ExitCode.INTERRUPTED, phase + " hook '" + command + "' interrupted");
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException | IOException e) {
      throw new HoldfastException(ExitCode.FAILED, "reading output of " + phase + " hook '" + command + "': " + e);
    }
  }

  private static String tail(String out) {
    String t = out.strip();
    if (t.isEmpty()) {
      return "";
    }
    if (t.length() > 500) {
      t = "..." + t.substring(t.length() - 500);
    }
    return ": " + t.replace('\n', ' ');
  }
}
