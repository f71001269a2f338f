package dev.holdfast.notify;

import dev.holdfast.job.RunLog;
import dev.holdfast.state.RunRecord;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;

/**
 * What a notifier is told: a run started, or how it ended.
 *
 * @param record the finished run, or null for {@link Kind#START}
 * @param logTail the last lines of the run log when the run ended (empty at start)
 */
public record Notice(Kind kind, String job, String host, Instant at, RunRecord record, List<String> logTail) {
  /** The events; their config names are the lower-case names ({@code on: [failure, success]}). */
  public enum Kind {
    START, SUCCESS, PARTIAL, FAILURE,
    /** A mirror run skipped because its drive was absent (within its max_age). */
    SKIPPED;

    public String configName() {
      return name().toLowerCase(Locale.ROOT);
    }

    static Kind of(String status) {
      return switch (status) {
        case "SUCCESS" -> SUCCESS;
        case "PARTIAL" -> PARTIAL;
        case "SKIPPED" -> SKIPPED;
        default -> FAILURE;
      };
    }
  }

  public static Notice started(String job, String host, Instant at) {
    return new Notice(Kind.START, job, host, at, null, List.of());
  }

  public static Notice finished(RunRecord r, List<String> logTail) {
    return new Notice(Kind.of(r.status()), r.job(), r.host(), r.finished(), r, List.copyOf(logTail));
  }

  public Duration duration() {
    return record == null ? Duration.ZERO : Duration.between(record.started(), record.finished());
  }

  /** {@code [holdfast] nightly FAILURE} */
  public String subject() {
    return "[holdfast] " + job + " " + kind.name();
  }

  /** A plain-text report: job, status, backup, size, duration, error, then the log tail. */
  public String text() {
    StringBuilder b = new StringBuilder();
    b.append("Job:      ").append(job).append('\n');
    b.append("Host:     ").append(host).append('\n');
    b.append("Status:   ").append(kind.name()).append('\n');
    if (record != null) {
      b.append("Target:   ").append(record.target()).append('\n');
      b.append("Backup:   ").append(record.backup() == null ? "(none stored)" : record.backup()).append('\n');
      b.append("Size:     ").append(RunLog.human(record.size())).append(" (").append(record.files()).append(" files)\n");
      b.append("Started:  ").append(record.started()).append('\n');
      b.append("Duration: ").append(RunLog.seconds(duration().toMillis())).append('\n');
      if (record.error() != null) {
        b.append("Error:    ").append(record.error()).append('\n');
      }
    }
    if (!logTail.isEmpty()) {
      b.append("\nLast lines of the run log:\n");
      logTail.forEach(l -> b.append(l).append('\n'));
    }
    return b.toString();
  }
}
