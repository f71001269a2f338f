package dev.holdfast.job;

import dev.holdfast.archive.ArchiveCatalog;
import dev.holdfast.archive.ArchiveCopy;
import dev.holdfast.archive.ArchiveWriter;
import dev.holdfast.archive.Version;
import dev.holdfast.repository.Repository;
import dev.holdfast.repository.RepositoryLock;
import dev.holdfast.repository.RepositoryWriter;
import dev.holdfast.repository.Pruner;
import dev.holdfast.repository.SnapshotRetention;
import dev.holdfast.source.PathSource;
import dev.holdfast.verify.ArchiveVerifier;
import dev.holdfast.verify.RepositoryVerifier;
import dev.holdfast.verify.ScratchServers;
import dev.holdfast.verify.VerifyReport;
import dev.holdfast.backend.Backend;
import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import dev.holdfast.event.BackupEvent;
import dev.holdfast.event.EventSink;
import dev.holdfast.format.BackupRef;
import dev.holdfast.source.Source;
import dev.holdfast.state.RunRecord;
import dev.holdfast.state.StateStore;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Runs a job's lifecycle: lock, before hooks, backup, after hooks (or on-failure hooks), then one
 * run record and one log line, whatever happened.
 */
public final class JobRunner {
  private final Path stateDir;
  private final StateStore state;
  private final RunLog log;
  private final BackendOpener backends;
  private final Clock clock;
  private final ZoneId zone;
  private final String host;
  private final RunListener listener;
  private RepositoryAhead ahead;

  public JobRunner(
      Path stateDir, StateStore state, RunLog log, BackendOpener backends, Clock clock, ZoneId zone, String host) {
    this(stateDir, state, log, backends, clock, zone, host, RunListener.NONE);
  }

  public JobRunner(Path stateDir, StateStore state, RunLog log, BackendOpener backends, Clock clock, ZoneId zone,
      String host, RunListener listener) {
    this.listener = listener;
    this.stateDir = stateDir;
    this.state = state;
    this.log = log;
    this.backends = backends;
    this.clock = clock;
    this.zone = zone;
    this.host = host;
  }

  /** A repository opened ahead for one of the jobs this runner will run ({@link RepositoryAhead}); the caller closes it. */
  public void useAhead(RepositoryAhead ahead) {
    this.ahead = ahead;
  }

  public RunResult run(Job job, EventSink events) {
    return run(job, RunSteps.BACKUP_ONLY, events);
  }

  public RunResult run(Job job, RunSteps steps, EventSink events) {
    Instant started = clock.instant();
    List<BackupEvent.Warning> warnings = new ArrayList<>();
    EventSink sink =
        e -> {
          if (e instanceof BackupEvent.Warning w) {
            synchronized (warnings) {
              warnings.add(w);
            }
            log.line("WARNING", w.path() + ": " + w.message());
          } else if (e instanceof BackupEvent.Note n) {
            log.line("INFO", n.message());
          } else if (e instanceof BackupEvent.Attention a) {
            log.line("WARNING", a.message());
          }
          events.publish(e);
        };
    String key = null;
    BackupRef ref = null;
    long contentBytes = 0;
    java.util.concurrent.atomic.AtomicReference<BackupRef> published = new java.util.concurrent.atomic.AtomicReference<>();
    try (JobLock lock = JobLock.acquire(stateDir, job.name(), job.target(), log);
        SignalGuard guard = new SignalGuard(job.name(), () -> recordSignal(job, started, published.get(), warnings))) {
      Map<String, String> env = Hooks.environment(job.name(), job.target(), host);
      tell(() -> listener.started(job.name(), started));
      try {
        job.hooks().run("before", job.hooks().before(), env, log);
        for (Source s : job.sources()) {
          s.check();
        }
        if (job.repository() != null) {
          long[] read = {0};
          EventSink counting = e -> {
            if (e instanceof BackupEvent.EntryDone d) {
              read[0] += Math.max(0, d.bytes());
            }
            sink.publish(e);
          };
          ref = backupToRepository(job, started, counting);
          contentBytes = read[0];
          env.put("HOLDFAST_SNAPSHOT", ref.id());
        } else {
          try (Backend backend = backends.open(job.target())) {
            key = freeName(backend,
                job.archive().name().render(job.name(), host, started.atZone(zone), job.archive().extension()));
            env.put("HOLDFAST_ARCHIVE", key);
            try (ArchiveWriter writer = new ArchiveWriter(backend, key, job.archive(), job.name(), host, clock, sink)) {
              for (Source s : job.sources()) {
                try (Stream<dev.holdfast.source.Entry> entries = s.entries(sink)) {
                  entries.forEach(writer::add);
                }
              }
              ref = writer.finish();
              contentBytes = writer.contentBytes();
            }
          }
        }
        published.set(ref);
        List<String> done = new ArrayList<>();
        if (steps.verify() && job.verify() != null && job.repository() != null) {
          verifyRepository(job, ref, done, sink);
        } else if (steps.verify() && job.verify() != null) {
          verify(job, ref, done);
        }
        if (steps.offsite() && !job.offsite().isEmpty() && job.repository() != null) {
          copyOffsiteRepository(job, done, sink);
        } else if (steps.offsite() && !job.offsite().isEmpty()) {
          copyOffsite(job, ref, done);
        }
        if (steps.cleanup()) {
          cleanup(job, done);
        }
        String status = warnings.isEmpty() ? "SUCCESS" : "PARTIAL";
        env.put("HOLDFAST_STATUS", status);
        job.hooks().run("after", job.hooks().after(), env, log);
        if (!guard.settle()) {
          throw new HoldfastException(ExitCode.INTERRUPTED, "interrupted by a signal"); // recorded by the guard
        }
        Instant finished = clock.instant();
        RunRecord rec = new RunRecord(0, job.name(), host, started, finished, status, job.target(), ref.id(),
            ref.size(), ref.files(), contentBytes, warnings.size(), warnings.isEmpty() ? 0 : ExitCode.PARTIAL.code(), null);
        long id = state.record(rec);
        String took = RunLog.seconds(Duration.between(started, finished).toMillis());
        String extra = done.isEmpty() ? "" : "; " + String.join(", ", done);
        String label = label(ref);
        if (warnings.isEmpty()) {
          log.line("SUCCESS", label + " stored (" + RunLog.human(ref.size()) + ", " + took + ")" + extra);
        } else {
          log.line("PARTIAL", label + " stored without " + warnings.size() + " unreadable item"
              + (warnings.size() == 1 ? "" : "s") + " (" + RunLog.human(ref.size()) + ", " + took + ")" + extra);
        }
        RunRecord stored = rec.withId(id);
        tell(() -> listener.finished(stored));
        return new RunResult(stored, ref, List.copyOf(warnings));
      } catch (HoldfastException | IllegalStateException | IllegalArgumentException | java.io.UncheckedIOException e) {
        if (!guard.settle()) {
          throw e; // the process is ending on a signal, and the guard has recorded the run
        }
        // an abort (daemon stopping) interrupts the run: clear the flag so the failure can still be
        // logged and recorded (interruptible file channels refuse to write otherwise), restore it after
        boolean interrupted = Thread.interrupted();
        HoldfastException he = interrupted
            ? new HoldfastException(ExitCode.INTERRUPTED, (ref == null ? "interrupted; nothing was stored (" : "interrupted (")
                + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()) + ")", null, e)
            : e instanceof HoldfastException h ? h : new HoldfastException(ExitCode.FAILED, e.getMessage(), null, e);
        env.put("HOLDFAST_STATUS", "FAILURE");
        env.put("HOLDFAST_ERROR", he.getMessage());
        if (ref == null) {
          env.remove("HOLDFAST_ARCHIVE"); // chosen, but never published: a hook must not look for it
        }
        String hookFailure = null;
        try {
          job.hooks().run("on_failure", job.hooks().onFailure(), env, log);
        } catch (HoldfastException hookError) {
          hookFailure = hookError.getMessage();
        }
        Instant finished = clock.instant();
        // when the archive itself was stored and only a later step failed, say so
        String what = ref != null ? label(ref) + " stored, but " + he.getMessage() : job.name() + ": " + he.getMessage();
        RunRecord failed = new RunRecord(0, job.name(), host, started, finished, "FAILURE", job.target(),
            ref == null ? null : ref.id(), ref == null ? 0 : ref.size(), ref == null ? 0 : ref.files(), 0,
            warnings.size(), he.exitCode().code(), he.getMessage());
        long id = state.record(failed);
        log.line("FAILURE", what);
        if (hookFailure != null) {
          log.line("WARNING", hookFailure);
        }
        tell(() -> listener.finished(failed.withId(id)));
        if (interrupted) {
          Thread.currentThread().interrupt();
        }
        throw he;
      }
    }
  }

  /**
   * The record of a run that SIGTERM or Ctrl-C ends (from a shutdown hook, {@link SignalGuard}):
   * a FAILURE with exit 130 in history and in the run log, so the run is not missing from them.
   */
  private void recordSignal(Job job, Instant started, BackupRef ref, List<BackupEvent.Warning> warnings) {
    Instant finished = clock.instant();
    String took = RunLog.seconds(Duration.between(started, finished).toMillis());
    String msg = ref == null
        ? "interrupted by a signal (SIGTERM or Ctrl-C) after " + took + "; nothing was stored"
        : "interrupted by a signal (SIGTERM or Ctrl-C) after " + took + ", during the steps after the backup";
    int warned;
    synchronized (warnings) {
      warned = warnings.size();
    }
    try {
      state.record(new RunRecord(0, job.name(), host, started, finished, "FAILURE", job.target(),
          ref == null ? null : ref.id(), ref == null ? 0 : ref.size(), ref == null ? 0 : ref.files(), 0, warned,
          ExitCode.INTERRUPTED.code(), msg));
    } catch (RuntimeException e) {
      // the history is closing with the process: the run log still says it
    }
    log.line("FAILURE", (ref == null ? job.name() + ": " : label(ref) + " stored, but ") + msg);
  }

  /** How the run log names a backup: an archive by its key, a snapshot by its short id, as restic prints it. */
  private static String label(BackupRef ref) {
    return ref.format().equals("repository") ? "snapshot " + ref.id().substring(0, Math.min(8, ref.id().length())) : ref.id();
  }

  /** Writes one snapshot into the job's repository (which must exist: repositories are created by init). */
  private BackupRef backupToRepository(Job job, Instant started, EventSink sink) {
    List<String> paths = new ArrayList<>();
    for (Source s : job.sources()) {
      if (s instanceof PathSource p) {
        p.roots().forEach(r -> paths.add(r.toAbsolutePath().toString()));
      } else {
        paths.add(s.name());
      }
    }
    List<String> tags = new ArrayList<>();
    tags.add(job.name());
    job.tags().stream().filter(t -> !t.equals(job.name())).forEach(tags::add);
    var info = new RepositoryWriter.SnapshotInfo(paths, host, System.getProperty("user.name", ""), tags,
        started.atZone(zone).toOffsetDateTime(), "holdfast " + Version.current());
    RepositoryAhead.Opened opened = ahead == null ? null : ahead.take(job);
    try (Backend backend = opened != null ? opened.backend() : backends.open(job.target());
        Repository repo = lockPolicy(opened != null ? opened.repo()
            : Repository.openDeferringIndex(backend, job.repository().password().get()), job, sink);
        RepositoryWriter writer = new RepositoryWriter(repo, info, sink)) {
      for (Source s : job.sources()) {
        try (Stream<dev.holdfast.source.Entry> entries = s.entries(sink)) {
          entries.forEach(writer::add);
        }
      }
      return writer.finish();
    }
  }

  /** No waiting (retention skips a locked repository), but stale locks it removes are logged. */
  private Repository withStaleLockWarnings(Repository repo) {
    repo.setLockPolicy(Duration.ZERO, e -> {
      if (e instanceof BackupEvent.Attention a) {
        log.line("WARNING", a.message());
      }
    });
    return repo;
  }

  private static Repository lockPolicy(Repository repo, Job job, EventSink sink) {
    repo.setLockPolicy(job.repository().retryLock(), sink);
    return repo;
  }

  /** The new snapshot checked after the run: its trees and packs (quick), at full every blob it refers to read. */
  private void verifyRepository(Job job, BackupRef ref, List<String> done, EventSink sink) {
    try (Backend backend = backends.open(job.target());
        Repository repo = lockPolicy(Repository.openDeferringIndex(backend, job.repository().password().get()), job, sink);
        var lock = repo.lock(false)) { // shared: a concurrent prune would look like missing packs
      VerifyReport report = new RepositoryVerifier(repo).verifySnapshot(
          dev.holdfast.repository.ObjectId.parse(ref.id()), job.verify());
      if (!report.ok()) {
        VerifyReport.Problem p = report.problems().get(0);
        throw new HoldfastException(ExitCode.DAMAGED, "verification (" + job.verify().configName() + ") of "
            + label(ref) + " failed: " + p.entry() + ": " + p.message());
      }
      done.add("verified (" + job.verify().configName() + ")");
    }
  }

  private void verify(Job job, BackupRef ref, List<String> done) {
    try (Backend backend = backends.open(job.target())) {
      ArchiveCatalog.Item item = new ArchiveCatalog(backend, zone).item(ref.id());
      VerifyReport report = new ArchiveVerifier(job.verifyKey(), ScratchServers.of(job.sources()))
          .verify(item, job.verify());
      for (VerifyReport.EntryCheck c : report.checks()) {
        if (c.warning()) {
          log.line("WARNING", ref.id() + ": " + c.entry() + ": " + c.detail());
        }
      }
      if (!report.ok()) {
        VerifyReport.Problem p = report.problems().get(0);
        throw new HoldfastException(ExitCode.DAMAGED, "verification (" + job.verify().configName() + ") of "
            + ref.id() + " failed: " + (p.entry().isEmpty() ? "" : p.entry() + ": ") + p.message());
      }
      done.add("verified (" + job.verify().configName() + ")");
    }
  }

  private void copyOffsite(Job job, BackupRef ref, List<String> done) {
    try (Backend backend = backends.open(job.target())) {
      ArchiveCatalog source = new ArchiveCatalog(backend, zone);
      // every backup of this job the off-site target lacks, so a missed night catches up
      List<ArchiveCatalog.Item> mine =
          source.items().stream().filter(i -> i.ref().job().equals(job.name())).toList();
      eachOffsite(job, off -> {
        try (Backend dest = backends.open(off.target())) {
          ArchiveCopy.Result r = new ArchiveCopy(dest).copy(mine);
          for (String id : r.copied()) {
            log.line("INFO", "copied " + id + " to " + dest.location());
          }
          done.add("copied " + r.copied().size() + " to " + dest.location());
        }
      });
    }
  }

  /**
   * Copies to every off-site target, each whatever became of the others: one unreachable NAS must
   * not keep the backup from the cloud. Each failure is logged; the first one fails the run.
   */
  private void eachOffsite(Job job, java.util.function.Consumer<Job.Offsite> copy) {
    HoldfastException first = null;
    int failed = 0;
    for (Job.Offsite off : job.offsite()) {
      try {
        copy.accept(off);
      } catch (HoldfastException | IllegalStateException | IllegalArgumentException | java.io.UncheckedIOException e) {
        if (Thread.currentThread().isInterrupted()) {
          throw e; // stopping: the remaining targets are not tried
        }
        HoldfastException he = e instanceof HoldfastException h ? h : new HoldfastException(ExitCode.FAILED, e.getMessage(), null, e);
        failed++;
        if (first == null) {
          first = he;
        }
        if (job.offsite().size() > 1) {
          log.line("WARNING", job.name() + ": off-site copy failed: " + he.getMessage());
        }
      }
    }
    if (first != null && job.offsite().size() > 1) {
      throw new HoldfastException(first.exitCode(), "off-site copy failed for " + failed + " of " + job.offsite().size()
          + " targets; first: " + first.getMessage(), first.hint(), first);
    } else if (first != null) {
      throw first;
    }
  }

  /**
   * Copies every snapshot of this job that an off-site repository lacks (as restic copy). A target
   * without a repository gets one, with the job's password and chunker polynomial, so copies
   * deduplicate there just as at home.
   */
  private void copyOffsiteRepository(Job job, List<String> done, EventSink sink) {
    String password = job.repository().password().get();
    try (Backend backend = backends.open(job.target());
        Repository src = lockPolicy(Repository.open(backend, password), job, sink)) {
      List<dev.holdfast.repository.StoredSnapshot> mine = src.readableSnapshots().stream()
          .filter(s -> !s.snapshot().tags().isEmpty() && s.snapshot().tags().get(0).equals(job.name()))
          .toList();
      eachOffsite(job, off -> {
        try (Backend dest = backends.open(off.target());
            Repository dst = lockPolicy(openOrCreate(dest, password, src), job, sink)) {
          var r = new dev.holdfast.repository.RepositoryCopy(src, dst, EventSink.NONE).copy(mine);
          r.copied().forEach((from, to) -> log.line("INFO", "copied snapshot " + from.substring(0, 8) + " to "
              + dest.location() + " as " + to.substring(0, 8)));
          done.add("copied " + r.copied().size() + " to " + dest.location());
        }
      });
    }
  }

  private static Repository openOrCreate(Backend dest, String password, Repository like) {
    try {
      if (dest.stat("config").isPresent()) {
        return Repository.open(dest, password);
      }
    } catch (java.io.IOException e) {
      throw HoldfastException.io("looking for a repository at " + dest.location(), e);
    }
    return Repository.init(dest, password, like.config().chunkerPolynomial());
  }

  private void tell(Runnable call) {
    RunListener.safely(log, call);
  }

  /** Retention on the primary target and each off-site one, for this job's backups from this host. */
  private void cleanup(Job job, List<String> done) {
    if (job.repository() != null) {
      if (!job.retention().isEmpty()) {
        forgetSnapshots(job, done);
      }
      return;
    }
    List<String> targets = new ArrayList<>();
    List<dev.holdfast.retention.RetentionPolicy> policies = new ArrayList<>();
    targets.add(job.target());
    policies.add(job.retention());
    for (Job.Offsite off : job.offsite()) {
      targets.add(off.target());
      policies.add(off.retention().isEmpty() ? job.retention() : off.retention());
    }
    int removed = 0;
    for (int i = 0; i < targets.size(); i++) {
      if (policies.get(i).isEmpty()) {
        continue;
      }
      try (Backend backend = backends.open(targets.get(i))) {
        ArchiveCatalog catalog = new ArchiveCatalog(backend, zone);
        List<Forget.GroupPlan> plans = Forget.plan(catalog, policies.get(i), zone,
            it -> it.ref().job().equals(job.name()) && it.ref().host().equals(host));
        removed += Forget.apply(backend, plans, log).size();
      }
    }
    if (!job.retention().isEmpty() || job.offsite().stream().anyMatch(o -> !o.retention().isEmpty())) {
      done.add("removed " + removed + " by retention");
    }
  }

  /**
   * Retention on a repository job's target: this job's snapshots from this host are forgotten by
   * the policy, then their data is pruned (what {@code restic forget --prune} does). Both need an
   * exclusive lock: when another run holds the repository, retention waits for the next run rather
   * than failing a backup that succeeded.
   */
  private void forgetSnapshots(Job job, List<String> done) {
    try (Backend backend = backends.open(job.target());
        Repository repo = withStaleLockWarnings(Repository.openDeferringIndex(backend, job.repository().password().get()));
        RepositoryLock lock = repo.lock(true)) {
      List<SnapshotRetention.Group> groups = SnapshotRetention.plan(repo.readableSnapshots(), job.retention(), zone,
          s -> SnapshotRetention.job(s.snapshot()).equals(job.name()) && SnapshotRetention.host(s.snapshot()).equals(host));
      int removed = SnapshotRetention.apply(repo, groups, s -> log.line("REMOVED", "snapshot " + s.id().shortHex()
          + " from " + backend.location() + " (retention: " + job.retention().describe() + ")")).size();
      done.add("removed " + removed + " by retention");
      if (removed > 0) {
        Pruner.Result r = new Pruner(repo, Pruner.DEFAULT_MAX_UNUSED_PERCENT).guardedBy(lock).prune(false);
        log.line("PRUNED", backend.location() + ": " + (r.packsRemoved() + r.unindexedPacks()) + " pack(s) deleted, "
            + r.packsRepacked() + " repacked, " + RunLog.human(r.freedBytes()) + " freed");
        done.add("pruned " + RunLog.human(r.freedBytes()));
      }
    } catch (HoldfastException e) {
      if (e.exitCode() != ExitCode.LOCKED) {
        throw e;
      }
      log.line("WARNING", job.name() + ": retention skipped this time: " + e.getMessage());
      done.add("retention skipped (repository locked)");
    }
  }

  /** The name itself, or with "-2", "-3"... before the extension when a run in the same second took it. */
  static String freeName(Backend backend, String key) {
    String ext = dev.holdfast.archive.ArchiveName.extensionOf(key);
    String base = ext == null ? key : key.substring(0, key.length() - ext.length());
    String candidate = key;
    try {
      for (int n = 2; backend.stat(candidate).isPresent() || backend.stat(candidate + ".manifest.json").isPresent(); n++) {
        candidate = base + "-" + n + (ext == null ? "" : ext);
      }
    } catch (java.io.IOException e) {
      throw HoldfastException.io("checking " + key + " on " + backend.location(), e);
    }
    return candidate;
  }
}
