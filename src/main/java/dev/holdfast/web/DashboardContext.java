package dev.holdfast.web;

import dev.holdfast.archive.OpenPgpDecryption;
import dev.holdfast.backend.Backend;
import dev.holdfast.event.EventSink;
import dev.holdfast.job.Job;
import dev.holdfast.job.RunLog;
import dev.holdfast.job.RunResult;
import dev.holdfast.state.StateStore;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the daemon gives its dashboard: the jobs of the config it currently runs (a SIGHUP reload
 * changes them), the services to open their targets, and a way to run a job under the daemon's own
 * per-job lock. The front end that builds the object graph implements it.
 */
public interface DashboardContext {
  /** The configured jobs, resolved, in config order (mirror jobs are not among them: see {@link #mirrors}). */
  List<Job> jobs();

  /** A mirror job as the dashboard shows it: it keeps no backups, so its run records are its state. */
  record Mirror(String name, List<String> sources, String target, java.time.Duration maxAge) {}

  /** The configured mirror jobs ({@code format: mirror}), in config order. */
  default List<Mirror> mirrors() {
    return List.of();
  }

  /** The job's cron expression, if it has a schedule. */
  Optional<String> schedule(String job);

  /** When the scheduler will next start the job, if it has a schedule. */
  Optional<Instant> nextRun(String job);

  /** Opens a target by its configured url; the caller closes it. */
  Backend openBackend(String target);

  /** The key that opens the job's encrypted archives, or null (unencrypted, or no key configured). */
  OpenPgpDecryption decryption(String job);

  /** The environment, for database restores (passwords come from it, never from a request). */
  Map<String, String> env();

  StateStore state();

  RunLog log();

  Clock clock();

  ZoneId zone();

  /** This machine's host name as recorded in manifests. */
  String host();

  Path stateDir();

  /**
   * Runs the job's whole lifecycle on the calling thread, as a scheduled run would; throws the
   * run's HoldfastException when it fails (already logged and recorded), or LOCKED when a run of
   * the job is going.
   */
  RunResult runNow(String job, EventSink events);
}
