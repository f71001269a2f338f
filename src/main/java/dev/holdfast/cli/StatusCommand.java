package dev.holdfast.cli;

import dev.holdfast.archive.ArchiveCatalog;
import dev.holdfast.config.ConfigLoader;
import dev.holdfast.config.JobSpec;
import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import dev.holdfast.format.BackupRef;
import dev.holdfast.job.Job;
import dev.holdfast.job.RunLog;
import dev.holdfast.state.RunRecord;
import dev.holdfast.state.StateStore;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code holdfast status}: per job, the newest backup on its target, its age against max_age, and
 * the last run's result. Exit 5 when any job is stale, for cron and monitoring checks.
 */
@Command(name = "status", description = {
    "Show each job's newest backup and its age; exit 5 if any is older than its max_age (default 25h).",
    "  holdfast status        holdfast status nightly        holdfast status --from /srv/backups --max-age 25h"})
final class StatusCommand implements Callable<Integer> {
  private final Main main;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;
  @CommandLine.Mixin TargetOptions target;

  @Option(names = "--max-age", paramLabel = "DURATION", description = "Override max_age (e.g. 25h, 8d).")
  String maxAge;

  @CommandLine.Parameters(paramLabel = "JOB", arity = "0..*", description = "Only these configured jobs (as --job, several).")
  List<String> jobs = new ArrayList<>();

  StatusCommand(Main main) {
    this.main = main;
  }

  record JobStatus(String job, String target, String state, Instant newest, String backup, Long ageSeconds,
      long maxAgeSeconds, Long size, String lastRun, String lastError) {}

  @Override
  public Integer call() {
    Wiring w = new Wiring(main, spec.commandLine().getErr());
    Duration override = null;
    if (maxAge != null) {
      override = ConfigLoader.parseDuration(maxAge);
      if (override == null || override.isZero()) {
        throw HoldfastException.usage("--max-age " + maxAge + " is not a duration such as 25h or 8d");
      }
    }
    Instant now = w.clock().instant();
    List<JobStatus> rows = new ArrayList<>();
    List<HoldfastException> unchecked = new ArrayList<>();
    try (StateStore state = w.openState()) {
      if (target.from != null && !jobs.isEmpty()) {
        throw HoldfastException.usage("--from reads a target, not configured jobs: drop " + String.join(" ", jobs)
            + ", or drop --from");
      }
      if (target.from != null) {
        try (Wiring.Opened o = w.open(target)) {
          Map<String, List<BackupRef>> byJob = new LinkedHashMap<>();
          List<BackupRef> refs = Wiring.holdsRepository(o.backend()) ? w.snapshots(o.backend(), null, o.job())
              : o.items().stream().map(ArchiveCatalog.Item::ref).toList();
          for (BackupRef i : refs) {
            byJob.computeIfAbsent(i.job().isEmpty() ? "-" : i.job(), k -> new ArrayList<>()).add(i);
          }
          if (byJob.isEmpty()) {
            rows.add(row("-", target.from, null, override == null ? Job.DEFAULT_MAX_AGE : override, now, state));
          }
          for (var e : byJob.entrySet()) {
            BackupRef newest = e.getValue().get(e.getValue().size() - 1);
            rows.add(row(e.getKey(), target.from, newest, override == null ? Job.DEFAULT_MAX_AGE : override, now, state));
          }
        }
      } else {
        if (!jobs.isEmpty() && target.job != null) {
          throw HoldfastException.usage("name jobs either as arguments or with --job, not both");
        }
        List<JobSpec> specs = target.job != null ? List.of(w.jobSpec(target.job))
            : !jobs.isEmpty() ? jobs.stream().map(w::jobSpec).toList() : List.copyOf(w.config().jobs().values());
        for (JobSpec s : specs) {
          try {
            rows.add(jobRow(w, s, override, now, state));
          } catch (HoldfastException e) {
            if (specs.size() == 1) {
              throw e;
            }
            // one job's target unreachable or its password wrong must not hide the others' state
            unchecked.add(e);
            List<RunRecord> last = state.history(s.name(), 1);
            rows.add(new JobStatus(s.name(), s.target(), "error", null, null, null,
                (override == null ? s.maxAge() : override).toSeconds(), null,
                last.isEmpty() ? null : last.get(0).status(), e.getMessage()));
          }
        }
      }
    }
    return report(rows, unchecked);
  }

  /** One configured job's row: its newest backup on its target (a missing target counts as none). */
  private JobStatus jobRow(Wiring w, JobSpec s, Duration override, Instant now, StateStore state) {
    if (MirrorCommand.isMirror(s)) {
      return mirrorRow(s, override == null ? s.maxAge() : override, now, state);
    }
    Job j = w.job(s);
    BackupRef newest = null;
    try (var b = w.openBackend(j.target())) {
      if (Wiring.holdsRepository(b)) {
        List<BackupRef> mine = w.snapshots(b, null, j.name());
        newest = mine.isEmpty() ? null : mine.get(mine.size() - 1);
      } else {
        newest = w.catalog(b).latestOf(j.name()).orElse(null);
      }
    } catch (HoldfastException e) {
      if (e.exitCode() != ExitCode.TARGET_MISSING) {
        throw e;
      }
    }
    return row(j.name(), j.target(), newest, override == null ? j.maxAge() : override, now, state);
  }

  private int report(List<JobStatus> rows, List<HoldfastException> unchecked) {
    PrintWriter out = spec.commandLine().getOut();
    if (main.global.json) {
      Json.print(out, rows);
    } else {
      out.printf("%-8s  %-12s  %-10s  %9s  %-8s  %s%n", "STATE", "JOB", "AGE", "SIZE", "LAST RUN", "NEWEST BACKUP");
      for (JobStatus r : rows) {
        out.printf("%-8s  %-12s  %-10s  %9s  %-8s  %s%n", r.state(), r.job(),
            r.ageSeconds() == null ? (r.state().equals("error") ? "?" : "never") : age(r.ageSeconds()) + (r.state().equals("stale") ? "!" : ""),
            r.size() == null || r.size() < 0 ? "-" : RunLog.human(r.size()), r.lastRun() == null ? "-" : r.lastRun(),
            r.state().equals("error") ? "(cannot tell: " + r.lastError() + ")"
                : r.backup() == null ? "(none on " + r.target() + ")" : r.backup());
      }
      out.flush();
    }
    if (!unchecked.isEmpty()) {
      HoldfastException first = unchecked.get(0);
      JobStatus row = rows.stream().filter(r -> r.state().equals("error")).findFirst().orElseThrow();
      throw new HoldfastException(first.exitCode(), unchecked.size() + " job" + (unchecked.size() == 1 ? "" : "s")
          + " could not be checked; first: " + row.job() + ": " + first.getMessage(),
          first.hint() != null ? first.hint() : "holdfast doctor checks every job's target and password", first);
    }
    long stale = rows.stream().filter(r -> r.state().equals("stale") || r.state().equals("missing")).count();
    if (stale > 0) {
      JobStatus first = rows.stream().filter(r -> r.state().equals("stale") || r.state().equals("missing")).findFirst().orElseThrow();
      throw new HoldfastException(ExitCode.STALE, stale + " job" + (stale == 1 ? " has" : "s have")
          + " no backup newer than max_age; first: " + first.job() + " ("
          + (first.ageSeconds() == null ? "no backup at all" : "newest is " + age(first.ageSeconds()) + " old, max "
              + age(first.maxAgeSeconds())) + ")",
          "check the job's last run with: holdfast history --job " + first.job());
    }
    return 0;
  }

  private static JobStatus row(String job, String target, BackupRef newest, Duration maxAge, Instant now, StateStore state) {
    List<RunRecord> last = state.history(job, 1);
    String lastRun = last.isEmpty() ? null : last.get(0).status();
    String lastError = last.isEmpty() ? null : last.get(0).error();
    if (newest == null) {
      return new JobStatus(job, target, "missing", null, null, null, maxAge.toSeconds(), null, lastRun, lastError);
    }
    long age = Duration.between(newest.time(), now).toSeconds();
    String st = dev.holdfast.job.Freshness.of(newest.time(), maxAge, now, lastRun);
    return new JobStatus(job, target, st, newest.time(), newest.id(), age, maxAge.toSeconds(), newest.size(), lastRun, lastError);
  }

  /** A mirror job is as fresh as its newest successful run (a skipped run does not count). */
  private static JobStatus mirrorRow(JobSpec s, Duration maxAge, Instant now, StateStore state) {
    List<RunRecord> runs = state.history(s.name(), 1000);
    String lastRun = runs.isEmpty() ? null : runs.get(0).status();
    String lastError = runs.isEmpty() ? null : runs.get(0).error();
    RunRecord ok = runs.stream().filter(r -> r.status().equals("SUCCESS")).findFirst().orElse(null);
    if (ok == null) {
      return new JobStatus(s.name(), s.target(), "missing", null, null, null, maxAge.toSeconds(), null, lastRun, lastError);
    }
    long age = Duration.between(ok.finished(), now).toSeconds();
    String st = age > maxAge.toSeconds() ? "stale" : "FAILURE".equals(lastRun) ? "failing" : "ok";
    return new JobStatus(s.name(), s.target(), st, ok.finished(), "mirror " + ok.finished(), age, maxAge.toSeconds(),
        ok.bytes(), lastRun, lastError);
  }

  static String age(long s) {
    if (s < 3600) {
      return (s / 60) + "m";
    }
    if (s < 172800) {
      return (s / 3600) + "h" + (s % 3600 / 60 > 0 ? (s % 3600 / 60) + "m" : "");
    }
    return (s / 86400) + "d" + (s % 86400 / 3600 > 0 ? (s % 86400 / 3600) + "h" : "");
  }
}
