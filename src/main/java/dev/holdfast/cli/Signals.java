package dev.holdfast.cli;

import dev.holdfast.job.RunLog;
import java.util.concurrent.BlockingQueue;

/**
 * POSIX signals for the daemon, through {@code sun.misc.Signal} (module jdk.unsupported, present in
 * every OpenJDK build; the JDK has no supported API for SIGHUP). Each handled signal's name is
 * queued for the daemon's main thread, which does the work outside the signal-dispatch thread.
 */
final class Signals {
  private Signals() {}

  /** Handles HUP, TERM and INT; false when this JVM does not let us (then the JVM's defaults apply). */
  @SuppressWarnings("removal")
  static boolean install(BlockingQueue<String> queue, RunLog log) {
    try {
      for (String name : new String[] {"HUP", "TERM", "INT"}) {
        sun.misc.Signal.handle(new sun.misc.Signal(name), s -> queue.offer(s.getName()));
      }
      return true;
    } catch (IllegalArgumentException | LinkageError e) {
      log.line("WARNING", "cannot handle signals (" + e.getMessage() + "); SIGHUP will not reload the config");
      return false;
    }
  }
}
