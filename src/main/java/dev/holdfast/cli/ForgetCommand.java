package dev.holdfast.cli;

import dev.holdfast.config.JobSpec;
import dev.holdfast.error.HoldfastException;
import dev.holdfast.job.Forget;
import dev.holdfast.job.Job;
import dev.holdfast.job.RunLog;
import dev.holdfast.format.BackupRef;
import dev.holdfast.repository.Pruner;
import dev.holdfast.repository.Repository;
import dev.holdfast.repository.RepositoryLock;
import dev.holdfast.repository.SnapshotRetention;
import dev.holdfast.repository.StoredSnapshot;
import dev.holdfast.retention.CalendarDuration;
import dev.holdfast.retention.Plan;
import dev.holdfast.retention.RetentionPolicy;
import dev.holdfast.state.RunRecord;
import dev.holdfast.state.StateStore;
import java.io.PrintWriter;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Predicate;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code holdfast forget}: applies retention policies, printing every backup with keep/remove and
 * the rule that kept it; {@code --dry-run} changes nothing.
 */
@Command(name = "forget", description = {
    "Remove backups that a retention policy no longer keeps (archives with their sidecars; repository snapshots, whose data --prune then removes); --dry-run shows the plan.",
    "  holdfast forget --job daily --dry-run",
    "  holdfast forget --from /srv/backups --keep-daily 7 --keep-weekly 4 --keep-monthly 12"})
final class ForgetCommand implements Callable<Integer> {
  private final Main main;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--job", paramLabel = "JOB", description = "Configured job(s) whose policy and target to use (default: all jobs).")
  List<String> jobs = new ArrayList<>();

  @Option(names = "--from", paramLabel = "TARGET", description = "A target to apply the --keep-* policy to, without a config.")
  String from;

  @Option(names = "--keep-last", paramLabel = "N") int keepLast;
  @Option(names = "--keep-hourly", paramLabel = "N") int keepHourly;
  @Option(names = "--keep-daily", paramLabel = "N") int keepDaily;
  @Option(names = "--keep-weekly", paramLabel = "N") int keepWeekly;
  @Option(names = "--keep-monthly", paramLabel = "N") int keepMonthly;
  @Option(names = "--keep-yearly", paramLabel = "N") int keepYearly;

  @Option(names = "--keep-within", paramLabel = "DURATION", description = "Keep everything within this of the newest backup (e.g. 30d, 6m, 1y6m).")
  String keepWithin;

  @Option(names = "--host", paramLabel = "HOST", description = "Apply to this host's backups (default: this machine's, plus archives of unknown host).")
  String host;

  @Option(names = "--all-hosts", description = "Apply to every host's backups on the target.")
  boolean allHosts;

  @Option(names = {"-n", "--dry-run"}, description = "Show what would be removed; remove nothing.")
  boolean dryRun;

  @Option(names = "--prune", description = "Repositories: prune after forgetting (see the prune command); "
      + "archives need no prune.")
  boolean prune;

  @Option(names = "--max-unused", paramLabel = "PERCENT", defaultValue = "5%",
      description = "With --prune: unused space tolerated in packs that are not repacked (default: 5%%).")
  String maxUnused;

  @CommandLine.Mixin RepositoryOptions password;

  private final List<Map<String, Object>> pruned = new ArrayList<>();

  ForgetCommand(Main main) {
    this.main = main;
  }

  private RetentionPolicy flags() {
    try {
      return new RetentionPolicy(keepLast, keepHourly, keepDaily, keepWeekly, keepMonthly, keepYearly,
          keepWithin == null ? CalendarDuration.ZERO : CalendarDuration.parse(keepWithin));
    } catch (IllegalArgumentException e) {
      throw HoldfastException.usage(e.getMessage());
    }
  }

  @Override
  public Integer call() {
    Wiring w = new Wiring(main, spec.commandLine().getErr());
    RetentionPolicy flagPolicy = flags();
    double maxUnusedPercent = PruneCommand.percent(maxUnused);
    String thisHost = host != null ? host : w.host();
    Predicate<BackupRef> hostFilter =
        r -> allHosts || r.host().equals(thisHost) || (host == null && r.host().isEmpty());
    RunLog log = w.runLog();
    List<Map<String, Object>> report = new ArrayList<>();
    PrintWriter out = spec.commandLine().getOut();
    if (from != null) {
      if (flagPolicy.isEmpty()) {
        throw HoldfastException.usage("no policy given", "add --keep-last/--keep-daily/... or --keep-within");
      }
      Predicate<BackupRef> jobFilter = jobs.isEmpty() ? r -> true : r -> jobs.contains(r.job());
      // one --job names whose configured password opens a repository target
      apply(w, from, jobs.size() == 1 ? jobs.get(0) : null, flagPolicy, hostFilter.and(jobFilter), log, out, report, maxUnusedPercent);
    } else {
      List<String> names = jobs.isEmpty() ? new ArrayList<>(w.config().jobs().keySet()) : jobs;
      try (StateStore state = w.openState()) {
        for (String n : names) {
          JobSpec s = w.jobSpec(n);
          Job j = w.job(s);
          RetentionPolicy policy = flagPolicy.isEmpty() ? j.retention() : flagPolicy;
          if (policy.isEmpty()) {
            out.printf("job %s: no retention policy configured; keeping everything%n", n);
            continue;
          }
          List<RunRecord> last = state.history(n, 1);
          if (!j.forgetAfterFailure() && !last.isEmpty() && last.get(0).status().equals("FAILURE")) {
            String why = "not applying retention to job " + n + ": its latest run failed (" + last.get(0).error()
                + "); set forget_after_failure: true to change this";
            if (dryRun && main.global.json) {
              Map<String, Object> m = new LinkedHashMap<>();
              m.put("job", n);
              m.put("skipped", true);
              m.put("reason", why);
              report.add(m);
            } else if (dryRun) {
              out.printf("job %s: nothing would be removed: %s%n", n, why); // what the real forget will do
            } else {
              log.line("WARNING", why);
            }
            continue;
          }
          Predicate<BackupRef> mine = r -> r.job().equals(n);
          apply(w, j.target(), n, policy, hostFilter.and(mine), log, out, report, maxUnusedPercent);
          for (Job.Offsite o : j.offsite()) {
            apply(w, o.target(), n, o.retention().isEmpty() ? policy : o.retention(), hostFilter.and(mine), log, out, report,
                maxUnusedPercent);
          }
        }
      }
    }
    if (main.global.json) {
      if (prune) {
        Map<String, Object> both = new LinkedHashMap<>();
        both.put("forget", report);
        both.put("prune", pruned);
        Json.print(out, both);
      } else {
        Json.print(out, report);
      }
    }
    out.flush();
    return 0;
  }

  private void apply(Wiring w, String target, String jobName, RetentionPolicy policy, Predicate<BackupRef> filter,
      RunLog log, PrintWriter out, List<Map<String, Object>> report, double maxUnusedPercent) {
    DateTimeFormatter f = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(w.zone());
    try (var backend = w.openBackend(target)) {
      if (Wiring.holdsRepository(backend)) {
        applyToRepository(w, backend, jobName, policy, filter, log, out, report, maxUnusedPercent, f);
        return;
      }
      List<Forget.GroupPlan> plans = Forget.plan(w.catalog(backend), policy, w.zone(), i -> filter.test(i.ref()));
      for (Forget.GroupPlan g : plans) {
        if (!main.global.json) {
          out.printf("%s: host %s, job %s: %s%n", backend.location(), g.host().isEmpty() ? "-" : g.host(),
              g.job().isEmpty() ? "-" : g.job(), policy.describe());
        }
        for (Plan.Decision d : g.plan().decisions()) {
          if (!main.global.json) {
            out.printf("  %-6s  %s  %-45s  %s%n", d.keep() ? "keep" : "remove", f.format(d.item().time()),
                d.item().id(), g.plan().describe(d));
          }
          Map<String, Object> m = new LinkedHashMap<>();
          m.put("target", backend.location());
          m.put("host", g.host());
          m.put("job", g.job());
          m.put("backup", d.item().id());
          m.put("time", d.item().time());
          m.put("keep", d.keep());
          m.put("reasons", g.plan().describe(d));
          report.add(m);
        }
        if (!main.global.json) {
          out.printf("  %d to keep, %d to remove%s%n", g.plan().keep().size(), g.plan().remove().size(),
              dryRun ? " (dry run: nothing removed)" : "");
        }
      }
      if (!dryRun) {
        Forget.apply(backend, plans, log);
      }
    }
  }

  /**
   * Forgets snapshots under an exclusive lock (restic's forget takes one too), grouped by host, job
   * and paths; {@code filter} sees each snapshot as a backup (its host and job), like archives.
   */
  private void applyToRepository(Wiring w, dev.holdfast.backend.Backend backend, String jobName, RetentionPolicy policy,
      Predicate<BackupRef> filter, RunLog log, PrintWriter out, List<Map<String, Object>> report,
      double maxUnusedPercent, DateTimeFormatter f) {
    try (Repository repo = w.openRepository(backend, password.passwordFile, jobName);
        RepositoryLock lock = repo.lock(true)) {
      List<StoredSnapshot> all = repo.readableSnapshots();
      List<SnapshotRetention.Group> groups = SnapshotRetention.plan(all, policy, w.zone(), s -> filter.test(
          new BackupRef(s.id().hex(), s.snapshot().time().toInstant(), SnapshotRetention.job(s.snapshot()),
              SnapshotRetention.host(s.snapshot()), -1, -1, "repository", false, true)));
      for (SnapshotRetention.Group g : groups) {
        if (!main.global.json) {
          out.printf("%s: host %s, job %s, paths %s: %s%n", backend.location(), g.host().isEmpty() ? "-" : g.host(),
              g.job().isEmpty() ? "-" : g.job(), String.join(", ", g.paths()), policy.describe());
        }
        for (Plan.Decision d : g.plan().decisions()) {
          if (!main.global.json) {
            out.printf("  %-6s  %s  %s  %s%n", d.keep() ? "keep" : "remove", f.format(d.item().time()),
                d.item().id().substring(0, 8), g.plan().describe(d));
          }
          Map<String, Object> m = new LinkedHashMap<>();
          m.put("target", backend.location());
          m.put("host", g.host());
          m.put("job", g.job());
          m.put("paths", g.paths());
          m.put("backup", d.item().id()); // the full snapshot id, under the key archives use
          m.put("time", d.item().time());
          m.put("keep", d.keep());
          m.put("reasons", g.plan().describe(d));
          report.add(m);
        }
        if (!main.global.json) {
          out.printf("  %d to keep, %d to remove%s%n", g.plan().keep().size(), g.plan().remove().size(),
              dryRun ? " (dry run: nothing removed)" : "");
        }
      }
      if (!dryRun) {
        SnapshotRetention.apply(repo, groups, s -> log.line("REMOVED", "snapshot " + s.id().shortHex() + " from "
            + backend.location() + " (retention: " + policy.describe() + ")"));
      }
      if (prune) {
        // A dry run plans the prune as if the forgotten snapshots were gone already.
        var pruner = new Pruner(repo, maxUnusedPercent, Repository.DEFAULT_PACK_SIZE, s -> {}).guardedBy(lock);
        Pruner.Result r;
        if (dryRun) {
          java.util.Set<dev.holdfast.repository.ObjectId> forgotten = new java.util.HashSet<>();
          groups.forEach(g -> g.plan().remove().forEach(i -> forgotten.add(dev.holdfast.repository.ObjectId.parse(i.id()))));
          r = pruner.dryRunWithout(forgotten);
        } else {
          r = pruner.prune(false);
        }
        if (main.global.json) {
          pruned.add(PruneCommand.json(backend.location(), r));
        } else {
          PruneCommand.report(out, false, backend.location(), r);
        }
        if (!dryRun && r.changes()) {
          PruneCommand.log(log, backend.location(), r);
        }
      }
    }
  }
}
