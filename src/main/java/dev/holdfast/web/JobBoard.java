package dev.holdfast.web;

import dev.holdfast.archive.ArchiveCatalog;
import dev.holdfast.backend.Backend;
import dev.holdfast.error.HoldfastException;
import dev.holdfast.format.BackupRef;
import dev.holdfast.job.Forget;
import dev.holdfast.job.Freshness;
import dev.holdfast.job.Job;
import dev.holdfast.job.JobLock;
import dev.holdfast.repository.Repository;
import dev.holdfast.repository.RepositoryCatalog;
import dev.holdfast.retention.Plan;
import dev.holdfast.retention.RetentionPolicy;
import dev.holdfast.state.RunRecord;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * What the overview, job and fleet pages show, computed from the run history, the targets'
 * catalogs and the job locks. Each call reads the targets afresh.
 */
final class JobBoard {
  static final int CHART_RUNS = 30;

  record Point(Instant started, long size, long durationMs, String status) {}

  /** {@code kind}: archive, repository or mirror. */
  record JobStatus(String job, String kind, String state, String target, Instant newest, String backup, Long ageSeconds,
      long maxAgeSeconds, Long lastSize, Long lastDurationMs, String lastRun, String lastError, String schedule,
      Instant nextRun, String lockHolder, List<Point> recent) {}

  record TargetStatus(String target, String location, boolean reachable, String error, Long freeBytes, int backups) {}

  record Overview(String host, Instant now, List<JobStatus> jobs, List<TargetStatus> targets,
      List<Map<String, String>> locks, List<LiveOps.View> running) {}

  /** {@code format}: archive or repository; size and files are -1 when unknown (snapshots). */
  record Backup(String id, String format, Instant time, String host, long size, long files, boolean managed,
      boolean encrypted) {}

  record TargetBackups(int index, String role, String target, String location, String error, List<Backup> backups) {}

  record PlanRow(String target, String host, String backup, Instant time, boolean keep, String reasons) {}

  record RetentionView(String policy, List<PlanRow> decisions, int remove) {}

  record JobDetail(JobStatus status, List<TargetBackups> targets, List<RunRecord> runs,
      List<com.fasterxml.jackson.databind.JsonNode> verifications,
      List<LiveOps.View> operations, RetentionView retention) {}

  record FleetJob(String host, String job, String state, Instant newest, long ageSeconds, long maxAgeSeconds, int backups,
      long size) {}

  record FleetTarget(String target, String location, String error, List<FleetJob> jobs) {}

  private final DashboardContext ctx;
  private final LiveOps live;
  private final VerifyHistory verifications;

  JobBoard(DashboardContext ctx, LiveOps live, VerifyHistory verifications) {
    this.ctx = ctx;
    this.live = live;
    this.verifications = verifications;
  }

  /** A configured mirror job by name. */
  Optional<DashboardContext.Mirror> mirror(String name) {
    return ctx.mirrors().stream().filter(m -> m.name().equals(name)).findFirst();
  }

  /** A job's name when a backup or mirror job has it; 404 otherwise. */
  String anyJob(String name) {
    if (mirror(name).isPresent()) {
      return name;
    }
    return job(name).name();
  }

  Job job(String name) {
    if (mirror(name).isPresent()) {
      throw new WebError(400, "'" + name + "' is a mirror job: it keeps no backups to list, verify, browse or forget,"
          + " and runs on its schedule or with: holdfast run " + name);
    }
    return ctx.jobs().stream().filter(j -> j.name().equals(name)).findFirst()
        .orElseThrow(() -> new WebError(404, "no job named '" + name + "'"));
  }

  /** The job's targets: index 0 the primary, then its off-site targets in config order. */
  static List<String> targets(Job j) {
    List<String> t = new ArrayList<>();
    t.add(j.target());
    j.offsite().forEach(o -> t.add(o.target()));
    return t;
  }

  static String target(Job j, int index) {
    List<String> t = targets(j);
    if (index < 0 || index >= t.size()) {
      throw new WebError(404, "job '" + j.name() + "' has no target " + index);
    }
    return t.get(index);
  }

  /** A target's catalog, read once; or the reason it cannot be read. */
  private record Read(String location, List<BackupRef> items, String error, Long free) {}

  /** How long the overview and fleet reuse a target's listing (S3: one request per manifest). */
  static final Duration CACHE = Duration.ofSeconds(10);

  private record Cached(Instant at, long generation, Read read) {}

  private final Map<String, Cached> cache = new java.util.concurrent.ConcurrentHashMap<>();

  /** A target's listing, at most {@link #CACHE} old and newer than any operation's end. */
  private Read cachedRead(String target) {
    Instant now = ctx.clock().instant();
    Cached c = cache.get(target);
    if (c != null && c.generation() == live.generation() && c.at().plus(CACHE).isAfter(now)) {
      return c.read();
    }
    long gen = live.generation();
    Read r = read(target);
    cache.put(target, new Cached(now, gen, r));
    return r;
  }

  private Read read(String target) {
    try (Backend b = ctx.openBackend(target)) {
      List<BackupRef> items;
      try {
        items = RepositoryTree.holdsRepository(b) ? snapshots(b, target)
            : new ArchiveCatalog(b, ctx.zone()).items().stream().map(ArchiveCatalog.Item::ref).toList();
      } catch (HoldfastException e) {
        if (e.exitCode() != dev.holdfast.error.ExitCode.TARGET_MISSING) {
          throw e;
        }
        items = List.of();
      }
      OptionalLong free = b.freeSpace();
      return new Read(b.location(), items, null, free.isPresent() ? free.getAsLong() : null);
    } catch (RuntimeException e) {
      return new Read(RestoreFlow.maskUri(target), List.of(), e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage(), null);
    }
  }

  /** A repository's snapshots, opened with the password of the (first) repository job that uses the target. */
  private List<BackupRef> snapshots(Backend b, String target) {
    try (Repository repo = Repository.open(b, repositoryPassword(target))) {
      return new RepositoryCatalog(repo).list();
    }
  }

  /** The password of the repository at {@code target}: that of a repository job writing there. */
  String repositoryPassword(String target) {
    for (Job j : ctx.jobs()) {
      if (j.repository() != null && targets(j).contains(target)) {
        return j.repository().password().get();
      }
    }
    throw HoldfastException.usage(RestoreFlow.maskUri(target) + " holds a repository, and no repository job"
        + " (format: repository) writes there to give its password");
  }

  Overview overview() {
    Map<String, Read> reads = new LinkedHashMap<>();
    List<JobStatus> jobs = new ArrayList<>();
    for (Job j : ctx.jobs()) {
      for (String t : targets(j)) {
        reads.computeIfAbsent(t, this::cachedRead);
      }
      jobs.add(status(j, reads.get(j.target())));
    }
    for (DashboardContext.Mirror m : ctx.mirrors()) {
      jobs.add(mirrorStatus(m));
    }
    List<TargetStatus> targets = new ArrayList<>();
    reads.forEach((t, r) -> targets.add(new TargetStatus(RestoreFlow.maskUri(t), r.location(), r.error() == null, r.error(), r.free(), r.items().size())));
    List<Map<String, String>> locks = new ArrayList<>();
    for (JobStatus s : jobs) {
      if (s.lockHolder() != null) {
        locks.add(Map.of("job", s.job(), "holder", s.lockHolder()));
      }
    }
    return new Overview(ctx.host(), ctx.clock().instant(), jobs, targets, locks, live.running());
  }

  private JobStatus status(Job j, Read primary) {
    Instant now = ctx.clock().instant();
    BackupRef newest = null;
    for (BackupRef i : primary.items()) {
      if (i.job().equals(j.name())) {
        newest = i; // oldest first: the last one wins
      }
    }
    List<RunRecord> runs = ctx.state().history(j.name(), CHART_RUNS);
    RunRecord last = runs.isEmpty() ? null : runs.get(0);
    String lastStatus = last == null ? null : last.status();
    Optional<String> holder = JobLock.holder(ctx.stateDir(), j.name());
    boolean running = live.runningRun(j.name()).isPresent() || holder.isPresent();
    String state = running ? "running" : Freshness.of(newest == null ? null : newest.time(), j.maxAge(), now, lastStatus);
    List<Point> recent = new ArrayList<>();
    for (int i = runs.size() - 1; i >= 0; i--) {
      RunRecord r = runs.get(i);
      recent.add(new Point(r.started(), r.size(), Duration.between(r.started(), r.finished()).toMillis(), r.status()));
    }
    RunRecord lastGood = runs.stream().filter(r -> !r.status().equals("FAILURE")).findFirst().orElse(null);
    return new JobStatus(j.name(), j.repository() != null ? "repository" : "archive", state, RestoreFlow.maskUri(j.target()), newest == null ? null : newest.time(),
        newest == null ? null : newest.id(), newest == null ? null : Duration.between(newest.time(), now).toSeconds(),
        j.maxAge().toSeconds(), lastGood == null ? null : lastGood.size(),
        lastGood == null ? null : Duration.between(lastGood.started(), lastGood.finished()).toMillis(),
        lastStatus, last == null ? null : last.error(), ctx.schedule(j.name()).orElse(null),
        ctx.nextRun(j.name()).orElse(null), holder.orElse(null), recent);
  }

  /**
   * A mirror job's state from its run records, as {@code holdfast status} reports it: as fresh as
   * its newest successful run (a skipped run, destination absent, does not count).
   */
  private JobStatus mirrorStatus(DashboardContext.Mirror m) {
    Instant now = ctx.clock().instant();
    List<RunRecord> runs = ctx.state().history(m.name(), CHART_RUNS);
    RunRecord last = runs.isEmpty() ? null : runs.get(0);
    RunRecord ok = ctx.state().history(m.name(), 1000).stream().filter(r -> r.status().equals("SUCCESS")).findFirst()
        .orElse(null);
    Optional<String> holder = JobLock.holder(ctx.stateDir(), m.name());
    String state = live.runningRun(m.name()).isPresent() ? "running"
        : Freshness.of(ok == null ? null : ok.finished(), m.maxAge(), now, last == null ? null : last.status());
    List<Point> recent = new ArrayList<>();
    for (int i = runs.size() - 1; i >= 0; i--) {
      RunRecord r = runs.get(i);
      recent.add(new Point(r.started(), r.size(), Duration.between(r.started(), r.finished()).toMillis(), r.status()));
    }
    return new JobStatus(m.name(), "mirror", state, RestoreFlow.maskUri(m.target()), ok == null ? null : ok.finished(),
        null, ok == null ? null : Duration.between(ok.finished(), now).toSeconds(), m.maxAge().toSeconds(),
        ok == null ? null : ok.bytes(), ok == null ? null : Duration.between(ok.started(), ok.finished()).toMillis(),
        last == null ? null : last.status(), last == null ? null : last.error(), ctx.schedule(m.name()).orElse(null),
        ctx.nextRun(m.name()).orElse(null), holder.orElse(null), recent);
  }

  JobDetail detail(String name, int historyLimit) {
    Optional<DashboardContext.Mirror> mirror = mirror(name);
    if (mirror.isPresent()) {
      return new JobDetail(mirrorStatus(mirror.get()), List.of(), ctx.state().history(name, historyLimit), List.of(),
          live.finished(name, null), null);
    }
    Job j = job(name);
    List<TargetBackups> targets = new ArrayList<>();
    Read primary = null;
    List<String> ts = targets(j);
    for (int i = 0; i < ts.size(); i++) {
      Read r = read(ts.get(i));
      if (i == 0) {
        primary = r;
      }
      List<Backup> backups = new ArrayList<>();
      for (BackupRef b : r.items()) {
        if (b.job().equals(j.name())) {
          backups.add(new Backup(b.id(), b.format(), b.time(), b.host(), b.size(), b.files(), b.managed(), b.encrypted()));
        }
      }
      targets.add(new TargetBackups(i, i == 0 ? "primary" : "off-site", RestoreFlow.maskUri(ts.get(i)), r.location(), r.error(), backups.reversed()));
    }
    return new JobDetail(status(j, primary), targets, ctx.state().history(j.name(), historyLimit),
        verifications.of(j.name(), 50), live.finished(j.name(), null), retention(j, false));
  }

  /**
   * The retention plan of the job on each of its targets, for this host's backups (and those of
   * unknown host), as {@code forget} without --host plans it; with {@code apply}, also removes.
   */
  RetentionView retention(Job j, boolean apply) {
    List<PlanRow> rows = new ArrayList<>();
    List<String> ts = targets(j);
    int remove = 0;
    if (j.repository() != null) {
      // snapshots are thinned out by `holdfast forget` on the repository, not from the dashboard
      return new RetentionView((j.retention().isEmpty() ? "keep everything" : j.retention().describe())
          + " (repository snapshots: not planned on the dashboard)", rows, 0);
    }
    String host = ctx.host();
    Predicate<ArchiveCatalog.Item> mine =
        i -> i.ref().job().equals(j.name()) && (i.ref().host().equals(host) || i.ref().host().isEmpty());
    for (int t = 0; t < ts.size(); t++) {
      RetentionPolicy policy = t == 0 ? j.retention()
          : j.offsite().get(t - 1).retention().isEmpty() ? j.retention() : j.offsite().get(t - 1).retention();
      if (policy.isEmpty()) {
        continue;
      }
      try (Backend b = ctx.openBackend(ts.get(t))) {
        List<Forget.GroupPlan> plans = Forget.plan(new ArchiveCatalog(b, ctx.zone()), policy, ctx.zone(), mine);
        for (Forget.GroupPlan g : plans) {
          for (Plan.Decision d : g.plan().decisions()) {
            rows.add(new PlanRow(RestoreFlow.maskUri(ts.get(t)), g.host(), d.item().id(), d.item().time(), d.keep(), g.plan().describe(d)));
            if (!d.keep()) {
              remove++;
            }
          }
        }
        if (apply) {
          try {
            Forget.apply(b, plans, ctx.log());
          } finally {
            live.changed();
          }
        }
      } catch (HoldfastException e) {
        if (e.exitCode() != dev.holdfast.error.ExitCode.TARGET_MISSING) {
          throw e;
        }
      }
    }
    return new RetentionView(j.retention().isEmpty() ? "keep everything" : j.retention().describe(), rows, remove);
  }

  /** Every host's jobs on every target the configured jobs use: what each host wrote, from the manifests. */
  List<FleetTarget> fleet() {
    Map<String, Duration> maxAges = new LinkedHashMap<>();
    List<String> all = new ArrayList<>();
    for (Job j : ctx.jobs()) {
      maxAges.put(j.name(), j.maxAge());
      for (String t : targets(j)) {
        if (!all.contains(t)) {
          all.add(t);
        }
      }
    }
    Instant now = ctx.clock().instant();
    List<FleetTarget> out = new ArrayList<>();
    for (String t : all) {
      Read r = cachedRead(t);
      Map<String, List<BackupRef>> groups = new TreeMap<>();
      for (BackupRef i : r.items()) {
        String key = (i.host().isEmpty() ? "-" : i.host()) + "\u0000" + (i.job().isEmpty() ? "-" : i.job());
        groups.computeIfAbsent(key, k -> new ArrayList<>()).add(i);
      }
      List<FleetJob> jobs = new ArrayList<>();
      for (var g : groups.entrySet()) {
        String[] hj = g.getKey().split("\u0000");
        BackupRef newest = g.getValue().get(g.getValue().size() - 1);
        Duration maxAge = maxAges.getOrDefault(hj[1], Job.DEFAULT_MAX_AGE);
        // snapshots do not record their size: unknown (-1) rather than a sum that looks like 0
        long total = g.getValue().stream().anyMatch(i -> i.size() < 0) ? -1
            : g.getValue().stream().mapToLong(BackupRef::size).sum();
        jobs.add(new FleetJob(hj[0], hj[1], Freshness.of(newest.time(), maxAge, now, null), newest.time(),
            Duration.between(newest.time(), now).toSeconds(), maxAge.toSeconds(), g.getValue().size(), total));
      }
      out.add(new FleetTarget(RestoreFlow.maskUri(t), r.location(), r.error(), jobs));
    }
    return out;
  }
}
