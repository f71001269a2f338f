package dev.holdfast.cli;

import dev.holdfast.archive.ArchiveCatalog;
import dev.holdfast.format.BackupRef;
import dev.holdfast.job.RunLog;
import java.io.PrintWriter;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code holdfast list}: the backups a target holds, oldest first. */
@Command(name = "list", aliases = "snapshots", description = "List the backups on a target, oldest first.")
final class ListCommand implements Callable<Integer> {
  private final Main main;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;
  @CommandLine.Mixin TargetOptions target;
  @CommandLine.Mixin RepositoryOptions password;

  ListCommand(Main main) {
    this.main = main;
  }

  @Override
  public Integer call() {
    Wiring w = new Wiring(main, spec.commandLine().getErr());
    try (Wiring.Opened o = w.open(target)) {
      List<BackupRef> refs;
      boolean repository = Wiring.holdsRepository(o.backend());
      if (repository) {
        refs = w.snapshots(o.backend(), password.passwordFile, o.job());
      } else {
        refs = o.items().stream().map(ArchiveCatalog.Item::ref).toList();
      }
      PrintWriter out = spec.commandLine().getOut();
      if (main.global.json) {
        Json.print(out, refs);
        return 0;
      }
      DateTimeFormatter f = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(w.zone());
      out.printf("%-19s  %-12s  %-12s  %9s  %7s  %s%n", "TIME", "JOB", "HOST", "SIZE", "FILES", "BACKUP");
      for (BackupRef r : refs) {
        out.printf("%-19s  %-12s  %-12s  %9s  %7s  %s%s%n", f.format(r.time()), r.job().isEmpty() ? "-" : r.job(),
            r.host().isEmpty() ? "-" : r.host(), r.size() < 0 ? "-" : RunLog.human(r.size()),
            r.files() < 0 ? "-" : Long.toString(r.files()),
            repository ? r.id().substring(0, 8) : r.id(), r.managed() || repository ? "" : "  (no manifest)");
      }
      if (!main.global.quiet) {
        String what = repository ? " snapshot" : " backup";
        out.println(refs.size() + what + (refs.size() == 1 ? "" : "s") + " on " + o.backend().location()
            + (repository ? " (repository)" : ""));
      }
      out.flush();
      return 0;
    }
  }
}
