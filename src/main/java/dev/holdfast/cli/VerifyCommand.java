package dev.holdfast.cli;

import dev.holdfast.archive.ArchiveCatalog;
import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import dev.holdfast.job.RunLog;
import dev.holdfast.repository.ObjectId;
import dev.holdfast.repository.Repository;
import dev.holdfast.verify.ArchiveVerifier;
import dev.holdfast.verify.PackSample;
import dev.holdfast.verify.RepositoryVerifier;
import dev.holdfast.verify.Sampling;
import dev.holdfast.verify.ScratchServers;
import dev.holdfast.verify.VerifyLevel;
import dev.holdfast.verify.VerifyReport;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code holdfast verify}: checksums and a full read of backups; exit 4 on any damage. */
@Command(name = "verify", description = "Check backups: checksum sidecar, then a full read against the manifest.")
final class VerifyCommand implements Callable<Integer> {
  private final Main main;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;
  @CommandLine.Mixin TargetOptions target;
  @CommandLine.Mixin KeyOptions keys;
  @CommandLine.Mixin RepositoryOptions password;

  @Parameters(paramLabel = "BACKUP", description = "Backups to check (default: latest).")
  List<String> backups = new ArrayList<>();

  @Option(names = "--no-lock", description = "On a repository: read it without writing a lock file, for read-only storage or "
      + "credentials (as restic's --no-lock); a prune running meanwhile could delete what is being read.")
  boolean noLock;

  @Option(names = "--all", description = "Check every backup on the target.")
  boolean all;

  @Option(names = "--level", paramLabel = "quick|full|restore-test", defaultValue = "full",
      description = "quick: sidecars and sizes only; full (default): read everything; restore-test: also restore into a scratch directory and check the files on disk.")
  String level;

  @Option(names = "--sample", paramLabel = "N%|1/N",
      description = "Archives, with --all: check only this share of the backups, a different share each day (the newest always). "
          + "Repositories: read only these packs in full (1/N: a different slice each day, all in N days; P%%: random packs); "
          + "the structure check still covers everything.")
  String sample;

  @Option(names = "--scratch-database", paramLabel = "URI",
      description = "With --level restore-test: the server to load database dumps into, each into a scratch database "
          + "that is dropped afterwards: postgresql://user@host:port or mariadb://user@host:port (repeatable, one per kind). "
          + "Default: the server of the job's own database source.")
  List<String> scratchDatabases = new ArrayList<>();

  VerifyCommand(Main main) {
    this.main = main;
  }

  @Override
  public Integer call() {
    Wiring w = new Wiring(main, spec.commandLine().getErr());
    PrintWriter out = spec.commandLine().getOut();
    List<VerifyReport> reports = new ArrayList<>();
    try (Wiring.Opened o = w.open(target)) {
      if (Wiring.holdsRepository(o.backend())) {
        return verifyRepository(w, o, out);
      }
      List<ArchiveCatalog.Item> items = new ArrayList<>();
      // sampled below when asked
      if (all) {
        items.addAll(o.items());
        if (items.isEmpty()) {
          throw new HoldfastException(ExitCode.TARGET_MISSING, "no backups on " + o.backend().location());
        }
      } else if (backups.isEmpty()) {
        items.add(o.select("latest"));
      } else {
        for (String b : backups) {
          items.add(o.select(b));
        }
      }
      VerifyLevel lv;
      try {
        lv = VerifyLevel.parse(level);
        if (sample != null) {
          items = Sampling.select(items, Sampling.parse(sample), java.time.LocalDate.now(w.zone()), i -> i.ref().id());
        }
      } catch (IllegalArgumentException e) {
        throw HoldfastException.usage(e.getMessage());
      }
      if (!scratchDatabases.isEmpty() && lv != VerifyLevel.RESTORE_TEST) {
        throw HoldfastException.usage("--scratch-database applies to --level restore-test");
      }
      var decryption = w.decryption(keys, o.job());
      ScratchServers explicit = ScratchServers.parse(scratchDatabases, main.env);
      Map<String, ArchiveVerifier> verifiers = new HashMap<>();
      PrintWriter err = spec.commandLine().getErr();
      for (ArchiveCatalog.Item item : items) {
        // a restore test loads dumps into the server of the job that made the backup, when it is configured here
        ArchiveVerifier verifier = verifiers.computeIfAbsent(item.ref().job(), job ->
            new ArchiveVerifier(decryption, lv != VerifyLevel.RESTORE_TEST ? ScratchServers.NONE
                : explicit.withFallback(configuredJobServers(w, job))));
        VerifyReport r = verifier.verify(item, lv);
        reports.add(r);
        for (VerifyReport.EntryCheck c : r.checks()) {
          if (c.warning()) {
            err.printf("WARNING: %s: %s: %s%n", r.backup(), c.entry(), c.detail());
          }
        }
        err.flush();
        if (!main.global.json) {
          if (r.ok()) {
            if (!main.global.quiet) {
              out.printf("ok       %s (%s: %d entries, %s%s)%n", r.backup(), lv.configName(), r.entries(),
                  lv == VerifyLevel.QUICK ? "sidecars and sizes" : RunLog.human(r.bytes()) + " checked",
                  r.note() != null ? "; " + r.note() : item.manifest().isPresent() ? "" : "; no manifest: stream integrity only");
              for (VerifyReport.EntryCheck c : r.checks()) {
                if (!c.warning()) {
                  out.printf("         %s: %s%n", c.entry(), c.detail());
                }
              }
            }
          } else {
            out.printf("DAMAGED  %s%n", r.backup());
            for (VerifyReport.Problem p : r.problems()) {
              out.printf("         %s%s%n", p.entry().isEmpty() ? "" : p.entry() + ": ", p.message());
            }
          }
        }
      }
    }
    if (main.global.json) {
      Json.print(out, reports);
    }
    out.flush();
    long bad = reports.stream().filter(r -> !r.ok()).count();
    if (bad > 0) {
      VerifyReport first = reports.stream().filter(r -> !r.ok()).findFirst().orElseThrow();
      VerifyReport.Problem p = first.problems().get(0);
      throw new HoldfastException(ExitCode.DAMAGED,
          bad + " of " + reports.size() + " backups damaged; " + first.backup() + ": "
              + (p.entry().isEmpty() ? "" : p.entry() + ": ") + p.message(),
          "restore from another backup or an off-site copy; run a new backup soon");
    }
    return 0;
  }

  /** A repository is checked as a whole, as restic check does. */
  private int verifyRepository(Wiring w, Wiring.Opened o, PrintWriter out) {
    if (!scratchDatabases.isEmpty()) {
      throw HoldfastException.usage("--scratch-database does not apply to repositories");
    }
    VerifyLevel lv;
    PackSample packs = new PackSample.All();
    try {
      lv = VerifyLevel.parse(level);
      if (sample != null) {
        packs = PackSample.parse(sample, java.time.LocalDate.now(w.zone()), new java.security.SecureRandom());
      }
    } catch (IllegalArgumentException e) {
      throw HoldfastException.usage(e.getMessage());
    }
    if (sample != null && (lv != VerifyLevel.FULL || (!backups.isEmpty() && !all))) {
      throw HoldfastException.usage("--sample chooses which packs a whole-repository check reads in full: "
          + "use it with --level full and without naming snapshots");
    }
    List<VerifyReport> reports = new ArrayList<>();
    try (Repository repo = w.openRepository(o.backend(), password.passwordFile, o.job());
        var lock = noLock ? null : repo.lock(false)) { // shared: a concurrent prune would look like missing packs
      var verifier = new RepositoryVerifier(repo);
      if (backups.isEmpty() || all) {
        reports.add(verifier.verify(lv, packs));
      } else {
        for (String b : backups) {
          reports.add(verifier.verifySnapshot(ObjectId.parse(Wiring.selectSnapshot(repo, b, o.job()).id()), lv));
        }
      }
    }
    if (main.global.json) {
      Json.print(out, reports);
    }
    for (VerifyReport r : reports) {
      if (main.global.json) {
        break;
      }
      if (r.ok()) {
        if (!main.global.quiet) {
          out.printf("ok       %s (%s: %s%s)%n", r.backup(), lv.configName(), r.note(),
              lv == VerifyLevel.FULL ? "; " + r.entries() + " blobs, " + RunLog.human(r.bytes()) + " checked" : "");
        }
      } else {
        out.printf("DAMAGED  %s%n", r.backup());
        for (VerifyReport.Problem p : r.problems()) {
          out.printf("         %s: %s%n", p.entry(), p.message());
        }
      }
    }
    out.flush();
    VerifyReport r = reports.stream().filter(x -> !x.ok()).findFirst().orElse(null);
    if (r != null) {
      VerifyReport.Problem p = r.problems().get(0);
      throw new HoldfastException(ExitCode.DAMAGED,
          r.backup() + " is damaged (" + r.problems().size() + " problem" + (r.problems().size() == 1 ? "" : "s")
              + "); " + p.entry() + ": " + p.message(),
          "see docs/repository.md; restic check --read-data reports the same damage");
    }
    return 0;
  }

  /** The database servers of the configured job named {@code job}, if there is one. */
  private static ScratchServers configuredJobServers(Wiring w, String job) {
    boolean configured = !job.isEmpty() && w.configIfAny().map(c -> c.jobs().containsKey(job)).orElse(false);
    if (!configured || MirrorCommand.isMirror(w.jobSpec(job))) {
      return ScratchServers.NONE;
    }
    return ScratchServers.of(w.job(w.jobSpec(job)).sources());
  }
}
