package dev.holdfast.source;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The standard output of a child process (pg_dump, mariadb-dump, a user's command) as a stream. At
 * end of stream the child's exit code is checked: a non-zero exit, or a timeout, turns into an
 * IOException carrying the command's name, its exit code and the end of its stderr, so a dump that
 * failed half way fails the backup instead of storing a truncated file. Closing the stream early
 * kills the child.
 */
public final class ChildOutput extends InputStream {
  private static final int STDERR_KEEP = 8192;

  private final List<String> command;
  private final Process process;
  private final InputStream out;
  private final Thread stderrReader;
  private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
  private final Runnable onClose;
  private final ScheduledExecutorService timer;
  private final ScheduledFuture<?> timeoutTask;
  private volatile boolean timedOut;
  private boolean checked;
  private boolean closed;

  private ChildOutput(List<String> command, Process process, Duration timeout, Runnable onClose) {
    this.command = command.get(0).equals("sh") && command.size() > 2
        ? List.of("command '" + command.get(2) + "'") : command;
    this.process = process;
    this.out = process.getInputStream();
    this.onClose = onClose;
    this.stderrReader = Thread.ofVirtual().start(this::drainStderr);
    if (timeout != null) {
      timer = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon().unstarted(r));
      timeoutTask = timer.schedule(() -> {
        timedOut = true;
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
      }, timeout.toMillis(), TimeUnit.MILLISECONDS);
    } else {
      timer = null;
      timeoutTask = null;
    }
  }

  /**
   * Starts {@code command} with {@code extraEnv} added to this process's environment (secrets go
   * there, never on the command line) and stdin closed. {@code onClose} runs when the stream is
   * closed (e.g. deleting a credentials file); {@code timeout} may be null.
   */
  public static ChildOutput start(List<String> command, Map<String, String> extraEnv, Duration timeout, Runnable onClose)
      throws IOException {
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().putAll(extraEnv);
    pb.redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      if (onClose != null) {
        onClose.run();
      }
      throw new IOException("cannot run " + command.get(0) + ": " + e.getMessage()
          + " (is it installed and on PATH?)", e);
    }
    return new ChildOutput(command, p, timeout, onClose);
  }

  private void drainStderr() {
    byte[] buf = new byte[4096];
    try (InputStream err = process.getErrorStream()) {
      int n;
      while ((n = err.read(buf)) >= 0) {
        synchronized (stderr) {
          stderr.write(buf, 0, n);
          if (stderr.size() > 4 * STDERR_KEEP) { // keep the tail, where the reason is
            byte[] all = stderr.toByteArray();
            stderr.reset();
            stderr.write(all, all.length - STDERR_KEEP, STDERR_KEEP);
          }
        }
      }
    } catch (IOException ignored) {
      // the process went away; whatever it said is kept
    }
  }

  @Override
  public int read() throws IOException {
    byte[] b = new byte[1];
    int n = read(b, 0, 1);
    return n < 0 ? -1 : b[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    int n = out.read(b, off, len);
    if (n < 0) {
      checkExit();
    }
    return n;
  }

  /** Waits for the child and fails unless it exited 0. Called at end of stream. */
  private void checkExit() throws IOException {
    if (checked) {
      return;
    }
    checked = true;
    int code;
    try {
      code = process.waitFor();
      stderrReader.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
      throw new java.io.InterruptedIOException("interrupted waiting for " + command.get(0));
    }
    if (timeoutTask != null) {
      timeoutTask.cancel(false);
    }
    if (timedOut) {
      throw new IOException(command.get(0) + " timed out and was killed" + stderrSuffix());
    }
    if (code != 0) {
      throw new IOException(command.get(0) + " failed with exit code " + code + stderrSuffix());
    }
  }

  /** What the child wrote to stderr so far, trimmed. */
  public String stderrText() {
    synchronized (stderr) {
      return stderr.toString(StandardCharsets.UTF_8).strip();
    }
  }

  private String stderrSuffix() {
    String s = stderrText();
    return s.isEmpty() ? "" : ": " + s.replace('\n', ' ').replaceAll("\\s+", " ");
  }

  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    try {
      if (!checked) {
        // closed before the end: the consumer gave up; stop the child
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        try {
          process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      out.close();
    } finally {
      if (timer != null) {
        timer.shutdownNow();
      }
      if (onClose != null) {
        onClose.run();
      }
    }
  }

  /**
   * Runs a short command to completion and returns its stdout; fails with {@code doing}, the
   * command's exit code and its stderr.
   */
  public static String capture(List<String> command, Map<String, String> extraEnv, String doing) {
    try (ChildOutput c = start(command, extraEnv, Duration.ofMinutes(5), null)) {
      return new String(c.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new dev.holdfast.error.HoldfastException(dev.holdfast.error.ExitCode.FAILED, doing + ": " + e.getMessage());
    }
  }

  /** A 0600 file for a credential, deleted by the returned ChildOutput's onClose. */
  public static Path secretFile(String prefix, String content) throws IOException {
    Path f = Files.createTempFile(prefix, ".cnf",
        java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
            java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
    Files.writeString(f, content);
    return f;
  }
}
