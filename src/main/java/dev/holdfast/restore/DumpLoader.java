package dev.holdfast.restore;

import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Feeds a dump into a database client's stdin (pg_restore, psql, mariadb) and checks how the
 * client ended: its exit code and stderr make the error message, including when it died early and
 * the pipe broke.
 */
final class DumpLoader {
  private DumpLoader() {}

  /** What was fed: bytes and their SHA-256. */
  record Fed(long bytes, String sha256) {}

  static Fed feed(List<String> command, Map<String, String> env, InputStream dump, String doing) {
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().putAll(env);
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      throw new HoldfastException(ExitCode.FAILED, doing + ": cannot run " + command.get(0) + ": " + e.getMessage(),
          "install the database client tools (postgresql-client, mariadb-client)");
    }
    ByteArrayOutputStream output = new ByteArrayOutputStream();
    Thread drain = Thread.ofVirtual().start(() -> {
      byte[] b = new byte[4096];
      try (InputStream in = p.getInputStream()) {
        int n;
        while ((n = in.read(b)) >= 0) {
          synchronized (output) {
            if (output.size() < 64 * 1024) {
              output.write(b, 0, n);
            }
          }
        }
      } catch (IOException ignored) {
        // the client went away; what it said is kept
      }
    });
    MessageDigest md;
    try {
      md = MessageDigest.getInstance("SHA-256");
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    long bytes = 0;
    IOException writeError = null;
    try (OutputStream stdin = p.getOutputStream()) {
      byte[] buf = new byte[64 * 1024];
      int n;
      while ((n = dump.read(buf)) >= 0) {
        md.update(buf, 0, n);
        bytes += n;
        if (writeError == null) {
          try {
            stdin.write(buf, 0, n);
          } catch (IOException e) {
            writeError = e; // the client died; keep reading so the archive's checks still run
          }
        }
      }
    } catch (IOException e) {
      if (writeError == null && !(e.getMessage() != null && e.getMessage().contains("Broken pipe"))) {
        p.destroyForcibly();
        throw HoldfastException.io(doing + ": reading the dump from the backup", e);
      }
    }
    int code;
    try {
      code = p.waitFor();
      drain.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
      throw new HoldfastException(ExitCode.INTERRUPTED, doing + ": interrupted");
    }
    String said;
    synchronized (output) {
      said = output.toString(StandardCharsets.UTF_8).strip();
    }
    if (code != 0) {
      throw new HoldfastException(ExitCode.FAILED,
          doing + ": " + command.get(0) + " failed with exit code " + code + (said.isEmpty() ? "" : ": " + said));
    }
    return new Fed(bytes, HexFormat.of().formatHex(md.digest()));
  }
}
