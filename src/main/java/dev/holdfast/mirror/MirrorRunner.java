package dev.holdfast.mirror;

import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import dev.holdfast.job.Hooks;
import dev.holdfast.job.JobLock;
import dev.holdfast.job.SignalGuard;
import dev.holdfast.job.RunListener;
import dev.holdfast.job.RunLog;
import dev.holdfast.state.RunRecord;
import dev.holdfast.state.StateStore;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Runs a mirror job the way JobRunner runs a backup: under the job's lock, after the mount check,
 * ending with one run record and one log line whatever happened. Dry runs record and log nothing.
 */
public final class MirrorRunner {
  private final Path stateDir;
  private final java.util.function.Supplier<StateStore> state;
  private final RunLog log;
  private final Clock clock;
  private final ZoneId zone;
  private final String host;
  private final java.util.function.Function<String, DestTree> trees;
  private final RunListener listener;

  /** The run's record (null for a dry run), what the pass did (null when skipped), and the exit code. */
  public record Outcome(RunRecord record, MirrorResult result, ExitCode exitCode) {}

  /** @param trees opens the destination tree of a request's {@code dest} */
  public MirrorRunner(Path stateDir, StateStore state, RunLog log, Clock clock, ZoneId zone, String host,
      java.util.function.Function<String, DestTree> trees, RunListener listener) {
    this(stateDir, () -> state, log, clock, zone, host, trees, listener);
  }

  /**
   * @param state gives the run history when it is first needed, so the caller can open it while
   *     the pass runs (opening SQLite costs a large part of a short run's start-up)
   */
  public MirrorRunner(Path stateDir, java.util.function.Supplier<StateStore> state, RunLog log, Clock clock,
      ZoneId zone, String host, java.util.function.Function<String, DestTree> trees, RunListener listener) {
    this.trees = trees;
    this.listener = listener;
    this.stateDir = stateDir;
    this.state = state;
    this.log = log;
    this.clock = clock;
    this.zone = zone;
    this.host = host;
  }

  public Outcome run(MirrorJob job, Consumer<String> itemized) {
    Instant started = clock.instant();
    boolean dry = job.request().dryRun();
    try (JobLock lock = JobLock.acquire(stateDir, job.name(), job.target(), log);
        SignalGuard guard = dry ? null : new SignalGuard(job.name(), () -> recordSignal(job, started))) {
      Map<String, String> env = Hooks.environment(job.name(), job.target(), host);
      if (!dry) {
        tell(() -> listener.started(job.name(), started));
      }
      try {
        if (!dry) {
          job.hooks().run("before", job.hooks().before(), env, log);
        }
        if (job.mount() != null && !job.mount().await(MirrorRunner::sleep)) {
          String why = job.mount().dir() + " is not a mount point (drive not mounted?)";
          if (job.mount().whenAbsent() == MountRequirement.WhenAbsent.SKIP) {
            Instant lastGood = lastSuccess(job.name());
            Instant since = lastGood != null ? lastGood : state.get().history(job.name(), Integer.MAX_VALUE).stream()
                .map(RunRecord::started).min(Instant::compareTo).orElse(started);
            if (job.maxAge() == null || Duration.between(since, started).compareTo(job.maxAge()) <= 0) {
              if (!dry) {
                env.put("HOLDFAST_STATUS", "SKIPPED");
                job.hooks().run("after", job.hooks().after(), env, log);
              }
              RunRecord rec = record(job, started, "SKIPPED", null, ExitCode.SKIPPED, why);
              if (!dry) {
                settle(guard);
                RunRecord stored = rec.withId(state.get().record(rec));
                log.line("SKIPPED", "mirror " + job.name() + " to " + job.target() + ": " + why);
                tell(() -> listener.finished(stored));
                return new Outcome(stored, null, ExitCode.SKIPPED);
              }
              log.line("SKIPPED", "mirror " + job.name() + " to " + job.target() + ": " + why);
              return new Outcome(null, null, ExitCode.SKIPPED);
            }
            // absent for longer than max_age: from now on each skipped run is a failure, so it alerts
            throw new HoldfastException(ExitCode.TARGET_MISSING, "mirror destination " + job.target() + " has been absent "
                + "since " + since + ", longer than max_age " + RunLog.duration(job.maxAge()) + ": " + why,
                "mount the drive so the mirror can catch up");
          }
          throw new HoldfastException(ExitCode.TARGET_MISSING, "refusing to mirror to " + job.target() + ": " + why,
              "mount it, or set when_absent: skip to skip runs while it is away");
        }
        MirrorRequest req = job.request();
        if (req.backupDir() != null && req.backupDir().toString().contains("{date}")) {
          String date = DateTimeFormatter.ISO_LOCAL_DATE.format(started.atZone(zone));
          req = new MirrorRequest(req.sources(), req.dest(), req.delete(), req.checksum(),
              Path.of(req.backupDir().toString().replace("{date}", date)), req.excludes(), req.dryRun(), req.xattrs());
        }
        MirrorResult r;
        try (DestTree tree = trees.apply(req.dest())) {
          r = new Mirror(req, tree, itemized).run();
        }
        if (dry) {
          return new Outcome(null, r, ExitCode.OK);
        }
        env.put("HOLDFAST_STATUS", "SUCCESS");
        job.hooks().run("after", job.hooks().after(), env, log);
        settle(guard);
        Instant finished = clock.instant();
        RunRecord rec = new RunRecord(0, job.name(), host, started, finished, "SUCCESS", job.target(), null,
            r.bytes(), r.copied(), r.bytes(), 0, 0, null);
        RunRecord stored = rec.withId(state.get().record(rec));
        log.line("SUCCESS", "mirror " + job.name() + " to " + job.target() + " (" + r.copied() + " copied, "
            + r.deleted() + " deleted, " + RunLog.human(r.bytes()) + ", "
            + RunLog.seconds(Duration.between(started, finished).toMillis()) + ")");
        tell(() -> listener.finished(stored));
        return new Outcome(stored, r, ExitCode.OK);
      } catch (HoldfastException | IllegalStateException | IllegalArgumentException e) {
        if (guard != null && !guard.settle()) {
          throw e; // the process is ending on a signal, and the guard has recorded the run
        }
        HoldfastException he = e instanceof HoldfastException h ? h
            : new HoldfastException(ExitCode.FAILED, e.getMessage(), null, e);
        String hookFailure = null;
        if (!dry) {
          env.put("HOLDFAST_STATUS", "FAILURE");
          env.put("HOLDFAST_ERROR", he.getMessage());
          try {
            job.hooks().run("on_failure", job.hooks().onFailure(), env, log);
          } catch (HoldfastException hookError) {
            hookFailure = hookError.getMessage();
          }
        }
        log.line("FAILURE", "mirror " + job.name() + " to " + job.target() + ": " + he.getMessage());
        if (hookFailure != null) {
          log.line("WARNING", hookFailure);
        }
        if (!dry) {
          RunRecord rec = record(job, started, "FAILURE", null, he.exitCode(), he.getMessage());
          RunRecord stored = rec.withId(state.get().record(rec));
          tell(() -> listener.finished(stored));
        }
        throw he;
      }
    }
  }

  /** The outcome is the run's to record; when a signal got there first, the run ends as the guard recorded it. */
  private static void settle(SignalGuard guard) {
    if (!guard.settle()) {
      throw new HoldfastException(ExitCode.INTERRUPTED, "interrupted by a signal");
    }
  }

  /** A run that SIGTERM or Ctrl-C ends ({@link SignalGuard}): a FAILURE with exit 130 in history and the run log. */
  private void recordSignal(MirrorJob job, Instant started) {
    String msg = "interrupted by a signal (SIGTERM or Ctrl-C) after "
        + RunLog.seconds(Duration.between(started, clock.instant()).toMillis())
        + "; files copied so far are in place, the next run goes on from there";
    try {
      state.get().record(record(job, started, "FAILURE", null, ExitCode.INTERRUPTED, msg));
    } catch (RuntimeException e) {
      // the history is closing with the process: the run log still says it
    }
    log.line("FAILURE", "mirror " + job.name() + " to " + job.target() + ": " + msg);
  }

  private RunRecord record(MirrorJob job, Instant started, String status, MirrorResult r, ExitCode code, String error) {
    return new RunRecord(0, job.name(), host, started, clock.instant(), status, job.target(), null,
        r == null ? 0 : r.bytes(), r == null ? 0 : r.copied(), r == null ? 0 : r.bytes(), 0, code.code(), error);
  }

  private Instant lastSuccess(String job) {
    return state.get().history(job, Integer.MAX_VALUE).stream().filter(r -> r.status().equals("SUCCESS"))
        .map(RunRecord::finished).max(Instant::compareTo).orElse(null);
  }

  private void tell(Runnable call) {
    RunListener.safely(log, call);
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new HoldfastException(ExitCode.INTERRUPTED, "interrupted while waiting for the mount");
    }
  }
}
