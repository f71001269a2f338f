package dev.holdfast.error;

/**
 * The one exception type that reaches the user: a message saying what failed and why, an optional
 * hint saying how to fix it, and the exit code the process ends with.
 */
public class HoldfastException extends RuntimeException {
  private final ExitCode exitCode;
  private final String hint;

  public HoldfastException(ExitCode exitCode, String message) {
    this(exitCode, message, null, null);
  }

  public HoldfastException(ExitCode exitCode, String message, String hint) {
    this(exitCode, message, hint, null);
  }

  public HoldfastException(ExitCode exitCode, String message, String hint, Throwable cause) {
    super(message, cause);
    this.exitCode = exitCode;
    this.hint = hint;
  }

  public ExitCode exitCode() {
    return exitCode;
  }

  /** How to fix it, or null when there is nothing useful to say. */
  public String hint() {
    return hint;
  }

  public static HoldfastException usage(String message) {
    return new HoldfastException(ExitCode.USAGE, message);
  }

  public static HoldfastException usage(String message, String hint) {
    return new HoldfastException(ExitCode.USAGE, message, hint);
  }

  /** Why a file could not be read, in words ("no such file", "permission denied"), without the path. */
  public static String reason(Throwable cause) {
    if (cause instanceof java.nio.file.NoSuchFileException) {
      return "no such file";
    } else if (cause instanceof java.nio.file.AccessDeniedException) {
      return "permission denied";
    } else if (cause instanceof java.nio.file.FileSystemException f && f.getReason() != null) {
      return f.getReason();
    }
    return cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
  }

  /** Wraps an I/O or library failure once, at the boundary, saying what was being done. */
  public static HoldfastException io(String doing, Throwable cause) {
    String why = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
    if (cause instanceof java.nio.file.NoSuchFileException) {
      why = "no such file or directory: " + why;
    } else if (cause instanceof java.nio.file.AccessDeniedException) {
      why = "permission denied: " + why;
    } else if (cause instanceof java.nio.file.FileAlreadyExistsException) {
      why = "already exists: " + why;
    }
    return new HoldfastException(ExitCode.FAILED, doing + ": " + why, null, cause);
  }

  /**
   * Waits for a worker's result and rethrows its failure as the worker threw it (a HoldfastException
   * keeps its exit code); an interrupted wait ends the run with "ACTIVITY interrupted".
   */
  public static <T> T await(java.util.concurrent.Future<T> f, String activity) {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new HoldfastException(ExitCode.INTERRUPTED, activity + " interrupted");
    } catch (java.util.concurrent.ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      if (e.getCause() instanceof Error err) {
        throw err;
      }
      throw new IllegalStateException(e.getCause());
    }
  }

  /**
   * Waits, however long it takes, until {@code pool} (already shut down by the caller) has
   * terminated: for pools whose tasks clean up after themselves (temporary files, unflushed blobs)
   * and must have ended before the caller goes on. An interrupt meanwhile runs {@code onInterrupt},
   * stops the tasks with {@code shutdownNow} and keeps waiting; it is restored when the wait ends.
   */
  public static void awaitTermination(java.util.concurrent.ExecutorService pool, Runnable onInterrupt) {
    boolean interrupted = false;
    while (true) {
      try {
        if (pool.awaitTermination(1, java.util.concurrent.TimeUnit.MINUTES)) {
          break;
        }
      } catch (InterruptedException e) {
        interrupted = true;
        onInterrupt.run();
        pool.shutdownNow();
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }
}
