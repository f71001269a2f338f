package dev.holdfast.cli;

import dev.holdfast.config.ConfigSpec;
import dev.holdfast.config.JobSpec;
import dev.holdfast.error.HoldfastException;
import dev.holdfast.job.Job;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code holdfast config check}: validates the config file and reports every problem at once. */
@Command(name = "config", description = "Work with the config file.", subcommands = ConfigCommand.Check.class)
final class ConfigCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand (check)");
  }

  @Command(name = "check", description = "Validate the config file; exit 2 with file:line: key: problem lines if invalid.")
  static final class Check implements Callable<Integer> {
    private final Main main;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    Check(Main main) {
      this.main = main;
    }

    @Override
    public Integer call() {
      Wiring w = new Wiring(main, spec.commandLine().getErr());
      ConfigSpec c = w.configIfAny().orElseThrow(() -> HoldfastException.usage("no config file found",
          "pass --config FILE or create $XDG_CONFIG_HOME/holdfast/holdfast.yaml"));
      PrintWriter out = spec.commandLine().getOut();
      boolean json = main.global.json;
      List<Map<String, Object>> jobs = new ArrayList<>();
      for (JobSpec s : c.jobs().values()) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("job", s.name());
        row.put("sources", s.sources());
        row.put("target", s.target());
        jobs.add(row);
        if (s.mirror() != null) {
          row.put("format", "mirror");
          if (!main.global.quiet && !json) {
            var m = s.mirror();
            out.printf("job %-12s %s -> %s (mirror%s%s%s)%n", s.name(), String.join(", ", s.sources()), s.target(),
                m.delete() ? ", delete" : "", m.backupDir() == null ? "" : ", backup_dir " + m.backupDir(),
                m.requireMount() == null ? "" : ", require_mount " + m.requireMount() + " (" + m.whenAbsent() + ")");
          }
          continue;
        }
        Job j = w.job(s);
        row.put("format", j.repository() != null ? "repository" : "archive");
        if (!main.global.quiet && !json) {
          if (j.repository() != null) {
            out.printf("job %-12s %s -> %s (repository, password from %s)%n", j.name(), String.join(", ", s.sources()),
                j.target(), s.passwordFile() != null ? s.passwordFile() : s.passwordEnv() != null ? "$" + s.passwordEnv()
                    : "$HOLDFAST_PASSWORD / $RESTIC_PASSWORD(_FILE)");
          } else {
            out.printf("job %-12s %s -> %s (%s, %s)%n", j.name(), String.join(", ", s.sources()), j.target(),
                j.archive().compression().configName(), j.archive().name().template());
          }
        }
      }
      if (json) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("file", c.file().toString());
        doc.put("ok", true);
        doc.put("jobs", jobs);
        Json.print(out, doc);
        return 0;
      }
      out.printf("%s: OK (%d job%s)%n", c.file(), c.jobs().size(), c.jobs().size() == 1 ? "" : "s");
      out.flush();
      return 0;
    }
  }
}
