package dev.holdfast.job;

import dev.holdfast.state.RunRecord;
import java.time.Instant;
import java.util.List;

/**
 * Told when a run starts and how it ended (notifications, metrics). Called on the run's thread;
 * an exception thrown here is logged as a WARNING line and never changes the run's outcome.
 */
public interface RunListener {
  RunListener NONE = new RunListener() {};

  /** The job's lock is held and its before hooks are about to run. */
  default void started(String job, Instant at) {}

  /** The run is recorded and its SUCCESS, PARTIAL or FAILURE line is in the log. */
  default void finished(RunRecord record) {}

  /** A listener (notifier, metrics) must never change a run's outcome: its failure is a WARNING line. */
  static void safely(RunLog log, Runnable call) {
    try {
      call.run();
    } catch (RuntimeException e) {
      log.line("WARNING", e.getMessage() == null ? e.toString() : e.getMessage());
    }
  }

  static RunListener all(List<RunListener> listeners) {
    List<RunListener> copy = List.copyOf(listeners);
    return new RunListener() {
      @Override
      public void started(String job, Instant at) {
        copy.forEach(l -> l.started(job, at));
      }

      @Override
      public void finished(RunRecord record) {
        copy.forEach(l -> l.finished(record));
      }
    };
  }
}
