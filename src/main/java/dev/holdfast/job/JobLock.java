package dev.holdfast.job;

import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;

/**
 * Keeps two runs of the same job from overlapping: an OS file lock (released by the kernel when
 * the process dies, so it can never go stale) on {@code <state>/locks/<job>.lock}, which also
 * records the holder's pid for the error message.
 */
public final class JobLock implements AutoCloseable {
  private final FileChannel channel;
  private final FileLock lock;

  private JobLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  /**
   * Like {@link #acquire(Path, String)}, but a refusal is also written to the run log: it is not a
   * run of its own (nothing is recorded in history), yet cron's log must show it.
   */
  public static JobLock acquire(Path stateDir, String job, RunLog log) {
    try {
      return acquire(stateDir, job);
    } catch (HoldfastException e) {
      log.line("FAILURE", job + ": " + e.getMessage());
      throw e;
    }
  }

  public static JobLock acquire(Path stateDir, String job) {
    Path file = stateDir.resolve("locks").resolve(job + ".lock");
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
        throw new HoldfastException(ExitCode.LOCKED,
            "job '" + job + "' is already running" + (holder.isEmpty() ? "" : " (" + holder + ")"),
            "wait for it to finish; the lock is released automatically when that process ends");
      }
      ch.truncate(0);
      ch.write(ByteBuffer.wrap(("pid " + ProcessHandle.current().pid() + ", since " + Instant.now())
          .getBytes(StandardCharsets.UTF_8)));
      ch.force(false);
      return new JobLock(ch, l);
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

  /** Who holds the job's lock now ("pid 123, since ..."), or empty when no run of it is going. */
  public static java.util.Optional<String> holder(Path stateDir, String job) {
    Path file = stateDir.resolve("locks").resolve(job + ".lock");
    if (!Files.isRegularFile(file)) {
      return java.util.Optional.empty();
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
        return java.util.Optional.empty();
      }
      return java.util.Optional.of(Files.readString(file).strip());
    } catch (IOException e) {
      return java.util.Optional.empty();
    }
  }

  @Override
  public void close() {
    try {
      lock.release();
      channel.close();
    } catch (IOException ignored) {
      // the kernel drops the lock with the descriptor anyway
    }
  }
}
