package dev.holdfast.cli;

import dev.holdfast.error.HoldfastException;
import dev.holdfast.job.RunLog;
import dev.holdfast.repository.Repository;
import dev.holdfast.repository.RepositoryLock;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code holdfast unlock}: removes a repository's stale locks, or with --remove-all every lock (restic unlock). */
@Command(name = "unlock", description = {
    "Remove stale locks from a repository: locks not refreshed for 30 minutes, or left by a process of this host "
        + "that no longer runs. --remove-all removes every lock, also those of runs still going (as restic unlock).",
    "  holdfast unlock --from /srv/repo"})
final class UnlockCommand implements Callable<Integer> {
  private final Main main;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;
  @CommandLine.Mixin TargetOptions target;
  @CommandLine.Mixin RepositoryOptions password;

  @Option(names = "--remove-all", description = "Remove every lock, also live ones: only when no other run uses the repository.")
  boolean removeAll;

  UnlockCommand(Main main) {
    this.main = main;
  }

  @Override
  public Integer call() {
    Wiring w = new Wiring(main, spec.commandLine().getErr());
    try (Wiring.Opened o = w.open(target)) {
      if (!Wiring.holdsRepository(o.backend())) {
        throw HoldfastException.usage(o.backend().location() + " holds no repository; only repositories have locks",
            "an archive target needs no unlocking");
      }
      try (Repository repo = w.openRepository(o.backend(), password.passwordFile, o.job())) {
        Instant now = Instant.now();
        List<RepositoryLock.Found> removed = RepositoryLock.remove(repo, removeAll);
        List<RepositoryLock.Found> left = RepositoryLock.list(repo);
        RunLog log = w.runLog(new PrintWriter(java.io.Writer.nullWriter()));
        for (RepositoryLock.Found f : removed) {
          log.line("WARNING", f.describe(now) + " removed from " + repo.backend().location() + " by unlock"
              + (f.stale() != null ? ": " + f.stale() : ""));
        }
        PrintWriter out = spec.commandLine().getOut();
        if (main.global.json) {
          Map<String, Object> m = new LinkedHashMap<>();
          m.put("removed", removed.stream().map(f -> view(f, now)).toList());
          m.put("remaining", left.stream().map(f -> view(f, now)).toList());
          Json.print(out, m);
        } else if (!main.global.quiet) {
          for (RepositoryLock.Found f : removed) {
            out.println("removed " + f.describe(now) + (f.stale() != null ? " (" + f.stale() + ")" : ""));
          }
          out.printf("removed %d lock%s from %s%n", removed.size(), removed.size() == 1 ? "" : "s",
              repo.backend().location());
          for (RepositoryLock.Found f : left) {
            out.println("kept " + f.describe(now) + " (its run may still be going; --remove-all removes it)");
          }
        }
        out.flush();
        return 0;
      }
    }
  }

  private static Map<String, Object> view(RepositoryLock.Found f, Instant now) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", f.name());
    if (f.lock() != null) {
      m.put("exclusive", f.lock().exclusive());
      m.put("hostname", f.lock().hostname());
      m.put("username", f.lock().username());
      m.put("pid", f.lock().pid());
      m.put("time", f.lock().time().toString());
    }
    m.put("stale", f.stale());
    m.put("description", f.describe(now));
    return m;
  }
}
