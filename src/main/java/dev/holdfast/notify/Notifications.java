package dev.holdfast.notify;

import dev.holdfast.job.RunListener;
import dev.holdfast.job.RunLog;
import dev.holdfast.state.RunRecord;
import java.io.IOException;
import java.time.Instant;
import java.util.List;

/**
 * Sends a job's notices to its notifiers as the run goes. A notifier that fails leaves a WARNING
 * line in the run log and nothing else: a lost mail must never fail a backup.
 */
public final class Notifications implements RunListener {
  static final int LOG_TAIL_LINES = 20;
  private final List<Notifier> notifiers;
  private final RunLog log;
  private final String host;

  public Notifications(List<Notifier> notifiers, RunLog log, String host) {
    this.notifiers = List.copyOf(notifiers);
    this.log = log;
    this.host = host;
  }

  @Override
  public void started(String job, Instant at) {
    deliver(Notice.started(job, host, at));
  }

  @Override
  public void finished(RunRecord record) {
    deliver(Notice.finished(record, log.tail(LOG_TAIL_LINES)));
  }

  private void deliver(Notice n) {
    for (Notifier notifier : notifiers) {
      if (!notifier.wants(n.kind())) {
        continue;
      }
      try {
        notifier.send(n);
      } catch (IOException | RuntimeException e) {
        log.line("WARNING", "notification of " + n.job() + " " + n.kind().configName() + " by " + notifier.describe()
            + " failed: " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        log.line("WARNING", "notification by " + notifier.describe() + " interrupted");
        return;
      }
    }
  }
}
