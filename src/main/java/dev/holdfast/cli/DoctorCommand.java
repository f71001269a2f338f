package dev.holdfast.cli;

import dev.holdfast.archive.KeyReadiness;
import dev.holdfast.archive.KeyReport;
import dev.holdfast.backend.Backend;
import dev.holdfast.backend.TargetProbe;
import dev.holdfast.config.ConfigSpec;
import dev.holdfast.config.JobSpec;
import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code holdfast doctor}: checks every configured target (and --to targets); a pass/fail table. */
@Command(name = "doctor", description = "Check that targets are reachable and writable, report free space, and check encryption keys.")
final class DoctorCommand implements Callable<Integer> {
  private final Main main;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--to", paramLabel = "TARGET", description = "Check this target too (repeatable).")
  List<String> targets = new ArrayList<>();

  DoctorCommand(Main main) {
    this.main = main;
  }

  record Row(String job, String target, String check, boolean ok, String detail) {}

  /** A repository job's repository exists and its password opens it (the nightly run would fail otherwise). */
  private static Row repositoryRow(Wiring w, JobSpec j) {
    try (Backend b = w.openBackend(j.target())) {
      if (!Wiring.holdsRepository(b)) {
        return new Row(j.name(), j.target(), "repository", false,
            "no repository there; create it with: holdfast init --to " + j.target() + " --format repository");
      }
      int snapshots;
      try (var repo = w.openRepository(b, null, j.name())) {
        snapshots = repo.readableSnapshots().size();
        repo.loadIndex(); // a damaged index, or one too large for the heap, fails the nightly run too
      }
      return new Row(j.name(), j.target(), "repository", true,
          "opens with the job's password (" + snapshots + " snapshot" + (snapshots == 1 ? "" : "s") + ")");
    } catch (HoldfastException ex) {
      return new Row(j.name(), j.target(), "repository", false, ex.getMessage());
    }
  }

  @Override
  public Integer call() {
    Wiring w = new Wiring(main, spec.commandLine().getErr());
    Map<String, String> toCheck = new LinkedHashMap<>();
    for (String t : targets) {
      toCheck.put(t, "-");
    }
    List<Row> rows = new ArrayList<>();
    if (targets.isEmpty()) {
      ConfigSpec c = w.config();
      for (JobSpec j : c.jobs().values()) {
        if (j.mirror() != null && j.mirror().requireMount() != null) {
          // never probe (write into) a drive's mount directory while the drive is away
          java.nio.file.Path mount = java.nio.file.Path.of(w.expandHome(j.mirror().requireMount()));
          boolean mounted = dev.holdfast.mirror.MountPoint.isMountPoint(mount);
          rows.add(new Row(j.name(), j.target(), "mount", mounted,
              mounted ? mount + " is mounted" : mount + " is not a mount point (drive not mounted?)"));
          if (!mounted) {
            continue;
          }
        }
        toCheck.putIfAbsent(w.expandHome(j.target()), j.name());
        for (var o : j.offsite()) {
          toCheck.putIfAbsent(w.expandHome(o.target()), j.name() + " (offsite)");
        }
      }
    }
    for (var e : toCheck.entrySet()) {
      try (Backend b = w.openBackend(e.getKey())) {
        for (TargetProbe.Check c : TargetProbe.run(b)) {
          rows.add(new Row(e.getValue(), e.getKey(), c.name(), c.ok(), c.detail()));
        }
      } catch (HoldfastException ex) {
        rows.add(new Row(e.getValue(), e.getKey(), "open", false, ex.getMessage()));
      }
    }
    if (targets.isEmpty()) {
      KeyReadiness readiness = new KeyReadiness(w.clock());
      for (JobSpec j : w.config().jobs().values()) {
        if ("repository".equals(j.format())) {
          rows.add(repositoryRow(w, j));
        }
        if (j.encryption() == null) {
          continue;
        }
        if (j.encryption().passphraseFile() != null) {
          rows.add(passphraseRow(j.name(), java.nio.file.Path.of(w.expandHome(j.encryption().passphraseFile()))));
        }
        if (j.encryption().passphraseEnv() != null) {
          String var = j.encryption().passphraseEnv();
          boolean set = !main.env.getOrDefault(var, "").isEmpty();
          rows.add(new Row(j.name(), "$" + var, "passphrase", set, set ? "set" : "not set in this environment"));
        }
        for (String f : j.encryption().recipients()) {
          try {
            for (KeyReport k : readiness.inspect(java.nio.file.Path.of(w.expandHome(f)))) {
              String detail = k.label() + ", expires " + k.expires().map(Object::toString).orElse("never")
                  + k.problem().map(p -> ": " + p.message() + " (" + p.hint() + ")").orElse("");
              rows.add(new Row(j.name(), f, "key", k.canEncrypt(), detail));
            }
          } catch (HoldfastException ex) {
            rows.add(new Row(j.name(), f, "key", false, ex.getMessage()));
          }
        }
      }
    }
    rows.sort(java.util.Comparator.comparing(Row::job));
    PrintWriter out = spec.commandLine().getOut();
    if (main.global.json) {
      Json.print(out, rows);
    } else {
      out.printf("%-4s  %-12s  %-11s  %s%n", "", "JOB", "CHECK", "TARGET / DETAIL");
      for (Row r : rows) {
        out.printf("%-4s  %-12s  %-11s  %s: %s%n", r.ok() ? "ok" : "FAIL", r.job(), r.check(), r.target(), r.detail());
      }
      out.flush();
    }
    long failed = rows.stream().filter(r -> !r.ok()).count();
    if (failed > 0) {
      throw new HoldfastException(ExitCode.UNREACHABLE, failed + " check" + (failed == 1 ? "" : "s") + " failed",
          "see the FAIL lines above");
    }
    return 0;
  }

  /** A passphrase file must be readable and not empty; its content is never shown. */
  private static Row passphraseRow(String job, java.nio.file.Path f) {
    try {
      boolean empty = java.nio.file.Files.readString(f).strip().isEmpty();
      return new Row(job, f.toString(), "passphrase", !empty, empty ? "the file is empty" : "readable");
    } catch (java.io.IOException | java.io.UncheckedIOException e) {
      return new Row(job, f.toString(), "passphrase", false, "cannot read: " + e.getMessage());
    }
  }
}
