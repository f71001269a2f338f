package dev.holdfast.job;

import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Optional;

/**
 * Keeps two runs of the same job to the same target from overlapping: an OS file lock (released by
 * the kernel when the process dies, so it can never go stale) on {@code
 * <state>/locks/<job>@<target hash>.lock} (a local target by its real path), which also records the holder's pid for the error
 * message. The target is part of the key because ad-hoc runs share a default job name ({@code
 * backup}, {@code mirror}): two of them writing to different targets do not collide and may run
 * together. A configured job always has one target, so for it the key is the job.
 */
public final class JobLock implements AutoCloseable {
  /**
   * The lock files this process holds, with what they say. POSIX record locks belong to the
   * process, and closing any descriptor of the file drops them: looking at a file this process has
   * locked (a second run of the job in the daemon, the dashboard asking who holds it) must not open
   * it, or the first run would lose its lock.
   */
  private static final java.util.Map<Path, String> HELD_HERE = new java.util.concurrent.ConcurrentHashMap<>();

  private final FileChannel channel;
  private final FileLock lock;
  private final Path file;

  private JobLock(FileChannel channel, FileLock lock, Path file) {
    this.channel = channel;
    this.lock = lock;
    this.file = file;
  }

  /**
   * Like {@link #acquire(Path, String)}, but a refusal is also written to the run log: it is not a
   * run of its own (nothing is recorded in history), yet cron's log must show it.
   */
  public static JobLock acquire(Path stateDir, String job, String target, RunLog log) {
    try {
      return acquire(stateDir, job, target);
    } catch (HoldfastException e) {
      log.line("FAILURE", job + ": " + e.getMessage());
      throw e;
    }
  }

  public static synchronized JobLock acquire(Path stateDir, String job, String target) {
    Path file = stateDir.resolve("locks").resolve(fileName(job, target)).toAbsolutePath().normalize();
    String here = HELD_HERE.get(file);
    if (here != null) {
      throw running(job, here);
    }
    FileChannel ch = null;
    try {
      Files.createDirectories(file.getParent());
      ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
      FileLock l;
      try {
        l = ch.tryLock();
      } catch (OverlappingFileLockException e) {
        l = null;
      }
      if (l == null) {
        String holder = Files.readString(file).strip();
        ch.close();
        throw running(job, holder);
      }
      String holder = "pid " + ProcessHandle.current().pid() + ", since " + Instant.now();
      ch.truncate(0);
      ch.write(ByteBuffer.wrap(holder.getBytes(StandardCharsets.UTF_8)));
      ch.force(false);
      HELD_HERE.put(file, holder);
      return new JobLock(ch, l, file);
    } catch (IOException e) {
      try {
        if (ch != null) {
          ch.close();
        }
      } catch (IOException ignored) {
        // reporting the original failure
      }
      throw HoldfastException.io("locking job '" + job + "' in " + file.getParent(), e);
    }
  }

  private static HoldfastException running(String job, String holder) {
    return new HoldfastException(ExitCode.LOCKED,
        "job '" + job + "' is already running" + (holder.isEmpty() ? "" : " (" + holder + ")"),
        "wait for it to finish; the lock is released automatically when that process ends");
  }

  /** The lock file's name: the job, and a hash of its target (trailing slashes aside). */
  static String fileName(String job, String target) {
    String t = target.length() > 1 ? target.replaceAll("/+$", "") : target;
    if (!t.contains("://")) {
      // a local directory, however it is written (relative, with .., through a link)
      Path p = Path.of(t).toAbsolutePath().normalize();
      try {
        p = p.toRealPath();
      } catch (IOException | SecurityException e) {
        // not there yet: as written
      }
      t = p.toString();
    }
    byte[] d;
    try {
      d = MessageDigest.getInstance("SHA-256").digest(t.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
    return job + "@" + HexFormat.of().formatHex(d, 0, 6) + ".lock";
  }

  /**
   * Who holds a lock of the job now ("pid 123, since ..."), to whatever target, or empty when no
   * run of it is going.
   */
  public static Optional<String> holder(Path stateDir, String job) {
    Path dir = stateDir.resolve("locks");
    if (!Files.isDirectory(dir)) {
      return Optional.empty();
    }
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, job + "@*.lock")) {
      for (Path f : files) {
        Optional<String> h = holderOf(f);
        if (h.isPresent()) {
          return h;
        }
      }
    } catch (IOException e) {
      return Optional.empty();
    }
    return Optional.empty();
  }

  private static synchronized Optional<String> holderOf(Path file) {
    String here = HELD_HERE.get(file.toAbsolutePath().normalize());
    if (here != null) {
      return Optional.of(here); // ours: not to be opened (see HELD_HERE)
    }
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      FileLock l;
      try {
        l = ch.tryLock();
      } catch (OverlappingFileLockException e) {
        l = null; // this process holds it
      }
      if (l != null) {
        l.release();
        return Optional.empty();
      }
      return Optional.of(Files.readString(file).strip());
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  @Override
  public void close() {
    synchronized (JobLock.class) {
      try {
        lock.release();
        channel.close();
      } catch (IOException ignored) {
        // the kernel drops the lock with the descriptor anyway
      } finally {
        HELD_HERE.remove(file);
      }
    }
  }
}
