package dev.holdfast.repository;

/**
 * Keeps SIGHUP from ending the JVM while it holds a repository lock: restic 0.14 checks whether a
 * lock's holder on its own host still runs by sending it SIGHUP (lock_unix.go, processExists), and
 * the JVM's default action on SIGHUP is to exit, so a {@code restic unlock} beside a running backup
 * would kill it. Uses {@code sun.misc.Signal} (module jdk.unsupported), as the daemon does.
 */
@SuppressWarnings("removal")
final class HangupGuard {
  private static int holders;
  private static sun.misc.SignalHandler previous;
  private static boolean installed;

  private HangupGuard() {}

  /** A lock is about to be written: from now on SIGHUP does not end the process. */
  static synchronized void enter() {
    if (holders++ > 0) {
      return;
    }
    try {
      previous = sun.misc.Signal.handle(new sun.misc.Signal("HUP"), HangupGuard::onHangup);
      installed = true;
    } catch (IllegalArgumentException | LinkageError e) {
      installed = false; // the JVM does not let us (-Xrs, say): its default stays
    }
  }

  /** The last lock is gone: SIGHUP does what it did before. */
  static synchronized void exit() {
    if (holders == 0 || --holders > 0) {
      return;
    }
    if (installed) {
      try {
        sun.misc.Signal.handle(new sun.misc.Signal("HUP"), previous);
      } catch (IllegalArgumentException | LinkageError e) {
        // keep ignoring SIGHUP rather than fail a run that is finishing
      }
      installed = false;
      previous = null;
    }
  }

  /**
   * An application's own handler (the daemon reloads its config on SIGHUP) still runs; the JVM's
   * (exit) does not.
   */
  private static void onHangup(sun.misc.Signal signal) {
    sun.misc.SignalHandler p;
    synchronized (HangupGuard.class) {
      p = previous;
    }
    if (p == null || p == sun.misc.SignalHandler.SIG_DFL || p == sun.misc.SignalHandler.SIG_IGN) {
      return;
    }
    String cls = p.getClass().getName();
    if (cls.startsWith("sun.") || cls.startsWith("jdk.") || cls.startsWith("java.")) {
      return;
    }
    p.handle(signal);
  }
}
