package dev.holdfast.job;

import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs one hook command with {@code sh -c}, a timeout and the run's environment variables. */
final class HookRunner {
  private static final int MAX_OUTPUT = 64 * 1024;

  private HookRunner() {}

  /** Runs the command; returns its combined output, or throws naming the hook and its output. */
  static String run(String phase, String command, Duration timeout, Map<String, String> env) {
    // output goes to a file, not a pipe: a background process the hook leaves running (`app &`)
    // inherits the pipe and would keep a reader waiting long after the hook itself has finished
    Path log;
    try {
      log = Files.createTempFile("holdfast-hook-", ".log");
    } catch (IOException e) {
      throw HoldfastException.io("creating the output file of " + phase + " hook '" + command + "'", e);
    }
    try {
      ProcessBuilder pb = new ProcessBuilder("/bin/sh", "-c", command).redirectErrorStream(true)
          .redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
      pb.environment().putAll(env);
      Process p;
      try {
        p = pb.start();
      } catch (IOException e) {
        throw HoldfastException.io("starting " + phase + " hook '" + command + "'", e);
      }
      try {
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
          p.descendants().forEach(ProcessHandle::destroyForcibly);
          p.destroyForcibly();
          throw new HoldfastException(ExitCode.FAILED,
              phase + " hook '" + command + "' did not finish within " + seconds(timeout) + " and was killed"
                  + tail(read(log)));
        }
      } catch (InterruptedException e) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        Thread.currentThread().interrupt();
        throw new HoldfastException(ExitCode.INTERRUPTED, phase + " hook '" + command + "' interrupted");
      }
      String out = read(log);
      if (p.exitValue() != 0) {
        throw new HoldfastException(ExitCode.FAILED,
            phase + " hook '" + command + "' failed with exit code " + p.exitValue() + tail(out));
      }
      return out;
    } finally {
      try {
        Files.deleteIfExists(log);
      } catch (IOException ignored) {
        // a temporary file in /tmp; nothing secret was written by holdfast itself
      }
    }
  }

  /** The last 64 KiB of what the hook printed. */
  private static String read(Path log) {
    try (SeekableByteChannel ch = Files.newByteChannel(log)) {
      long size = ch.size();
      ch.position(Math.max(0, size - MAX_OUTPUT));
      ByteBuffer buf = ByteBuffer.allocate((int) Math.min(size, MAX_OUTPUT));
      while (buf.hasRemaining() && ch.read(buf) > 0) {
        // fill
      }
      return new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(output unreadable: " + e.getMessage() + ")";
    }
  }

  private static String seconds(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() / 1000.0 + " s";
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
