package dev.holdfast.cli;

import dev.holdfast.job.RunLog;
import dev.holdfast.state.RunRecord;
import dev.holdfast.state.StateStore;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code holdfast history}: past runs from the local state store, newest first. */
@Command(name = "history", description = "Show past runs on this machine, newest first.")
final class HistoryCommand implements Callable<Integer> {
  private final Main main;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--job", paramLabel = "JOB", description = "Only this job's runs.")
  String job;

  @Option(names = {"-n", "--limit"}, paramLabel = "N", defaultValue = "20", description = "How many runs (default ${DEFAULT-VALUE}).")
  int limit;

  HistoryCommand(Main main) {
    this.main = main;
  }

  @Override
  public Integer call() {
    Wiring w = new Wiring(main, spec.commandLine().getErr());
    PrintWriter out = spec.commandLine().getOut();
    try (StateStore state = w.openState()) {
      List<RunRecord> runs = state.history(job, limit);
      if (runs.isEmpty() && job != null) {
        spec.commandLine().getErr().println("note: no run of a job named '" + job + "' is recorded"
            + " (holdfast history without --job lists every job's runs)");
      }
      if (main.global.json) {
        Json.print(out, runs);
        return 0;
      }
      DateTimeFormatter f = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(w.zone());
      out.printf("%-19s  %-12s  %-8s  %9s  %8s  %s%n", "STARTED", "JOB", "STATUS", "SIZE", "TOOK", "BACKUP / ERROR");
      for (RunRecord r : runs) {
        String what = r.status().equals("FAILURE") ? r.error() : r.backup();
        if (what == null || what.isEmpty()) {
          what = "-"; // a mirror run names no backup
        }
        out.printf("%-19s  %-12s  %-8s  %9s  %8s  %s%n", f.format(r.started()), r.job(), r.status(),
            RunLog.human(r.size()), RunLog.seconds(Duration.between(r.started(), r.finished()).toMillis()), what);
      }
      out.flush();
      return 0;
    }
  }
}
