package dev.holdfast.cli;

import dev.holdfast.event.BackupEvent;
import dev.holdfast.event.EventSink;
import dev.holdfast.job.RunLog;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Shows files, bytes and rate on one updating line while a backup or restore runs; only on a
 * terminal, so cron mail and pipes stay clean.
 */
final class ProgressDisplay implements EventSink, AutoCloseable {
  private final PrintWriter err;
  private final AtomicLong files = new AtomicLong();
  private final AtomicLong bytes = new AtomicLong();
  private final long start = System.nanoTime();
  private final Thread ticker;
  private volatile boolean running = true;

  private ProgressDisplay(PrintWriter err) {
    this.err = err;
    this.ticker = Thread.ofPlatform().daemon().name("progress").start(this::tick);
  }

  /** A live display on a terminal; a no-op sink otherwise. */
  static ProgressDisplay startIfTerminal(PrintWriter err, boolean quiet) {
    return isTerminal() && !quiet ? new ProgressDisplay(err) : null;
  }

  /** On JDK 22+ System.console() exists even when redirected; Console.isTerminal() then tells. */
  static boolean isTerminal() {
    java.io.Console console = System.console();
    if (console == null) {
      return false;
    }
    try {
      return (Boolean) java.io.Console.class.getMethod("isTerminal").invoke(console);
    } catch (ReflectiveOperationException e) {
      return true; // JDK 21: a console exists only on a terminal
    }
  }

  @Override
  public void publish(BackupEvent event) {
    switch (event) {
      case BackupEvent.EntryDone d -> files.incrementAndGet();
      case BackupEvent.BytesMoved m -> bytes.addAndGet(m.bytes());
      default -> { }
    }
  }

  private void tick() {
    while (running) {
      try {
        Thread.sleep(250);
      } catch (InterruptedException e) {
        return;
      }
      render();
    }
  }

  private synchronized void render() {
    double secs = Math.max(0.001, (System.nanoTime() - start) / 1e9);
    long b = bytes.get();
    err.print(String.format(Locale.ROOT, "\r%d files, %s, %s/s, %.0f s   ",
        files.get(), RunLog.human(b), RunLog.human((long) (b / secs)), secs));
    err.flush();
  }

  @Override
  public void close() {
    running = false;
    ticker.interrupt();
    synchronized (this) {
      err.print("\r\033[K");
      err.flush();
    }
  }
}
