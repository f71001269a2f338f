package dev.holdfast.cli;

import dev.holdfast.config.ConfigSpec;
import dev.holdfast.config.JobSpec;
import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import dev.holdfast.schedule.CronSchedule;
import dev.holdfast.schedule.Crontab;
import dev.holdfast.schedule.JobCommand;
import dev.holdfast.schedule.ScheduledJob;
import dev.holdfast.schedule.SystemdUnits;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code holdfast schedule}: show the schedules, or hand them to systemd timers or cron. */
@Command(name = "schedule", description = "Show job schedules, or install them as systemd timers or crontab lines.",
    subcommands = {ScheduleCommand.ListSchedules.class, ScheduleCommand.Install.class})
final class ScheduleCommand implements Runnable {
  /** Where the launcher script says it lives; see the repo-root {@code holdfast} script. */
  static final String LAUNCHER_ENV = "HOLDFAST_LAUNCHER";
  static final String DEFAULT_LAUNCHER = "/usr/local/bin/holdfast";

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand: list or install");
  }

  static List<ScheduledJob> scheduled(Wiring w) {
    ConfigSpec c = w.config();
    ZoneId zone = w.zone();
    List<ScheduledJob> out = new ArrayList<>();
    for (JobSpec j : c.jobs().values()) {
      if (j.schedule() != null) {
        // a zone only when the config names one: otherwise units and crontabs follow the host's
        CronSchedule s = c.timeZone() == null ? CronSchedule.parse(j.schedule()) : CronSchedule.parse(j.schedule(), zone);
        out.add(new ScheduledJob(j.name(), s, j.randomizedDelay()));
      }
    }
    if (out.isEmpty()) {
      throw HoldfastException.usage("no job in " + c.file() + " has a schedule", "add e.g. schedule: \"0 3 * * *\" to a job");
    }
    return out;
  }

  /** {@code holdfast schedule list}. */
  @Command(name = "list", description = "Each scheduled job's next runs, in its time zone.")
  static final class ListSchedules implements Runnable {
    private final Main main;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "-n", paramLabel = "N", defaultValue = "3", description = "Runs to show per job. Default: ${DEFAULT-VALUE}.")
    int count;

    ListSchedules(Main main) {
      this.main = main;
    }

    @Override
    public void run() {
      Wiring w = new Wiring(main, spec.commandLine().getErr());
      PrintWriter out = spec.commandLine().getOut();
      DateTimeFormatter f = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm z");
      Instant now = w.clock().instant();
      List<Map<String, Object>> json = new ArrayList<>();
      for (ScheduledJob j : scheduled(w)) {
        List<String> next = new ArrayList<>();
        Instant t = now;
        for (int i = 0; i < count; i++) {
          var n = j.schedule().next(t);
          if (n.isEmpty()) {
            break;
          }
          t = n.get();
          next.add(f.format(t.atZone(j.schedule().zone())));
        }
        if (main.global.json) {
          Map<String, Object> m = new LinkedHashMap<>();
          m.put("job", j.name());
          m.put("schedule", j.schedule().expression());
          m.put("time_zone", j.schedule().zone().getId());
          m.put("randomized_delay_seconds", j.randomizedDelay().toSeconds());
          m.put("next", next);
          json.add(m);
        } else {
          out.println(j.name() + "  \"" + j.schedule().expression() + "\""
              + (j.randomizedDelay().isZero() ? "" : " + up to " + j.randomizedDelay().toSeconds() + " s random delay"));
          next.forEach(n -> out.println("  " + n));
        }
      }
      if (main.global.json) {
        Json.print(out, json);
      }
      out.flush();
    }
  }

  /** {@code holdfast schedule install --systemd|--cron}. */
  @Command(name = "install", description = {
      "Write systemd .service/.timer units (--systemd) or print crontab lines (--cron) for the scheduled jobs.",
      "  holdfast schedule install --systemd --output-dir /etc/systemd/system && systemctl daemon-reload",
      "  holdfast schedule install --cron | crontab -"})
  static final class Install implements Runnable {
    private final Main main;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @CommandLine.ArgGroup(exclusive = true, multiplicity = "1")
    Kind kind;

    static final class Kind {
      @Option(names = "--systemd", required = true, description = "systemd timer and service units.")
      boolean systemd;

      @Option(names = "--cron", required = true, description = "crontab(5) lines, printed to stdout.")
      boolean cron;
    }

    @Option(names = "--output-dir", paramLabel = "DIR", description = "Where to write the units. Default: /etc/systemd/system.")
    Path outputDir;

    @Option(names = "--nice", paramLabel = "N", defaultValue = "10", description = "CPU niceness of backups (systemd). Default: ${DEFAULT-VALUE}.")
    int nice;

    Install(Main main) {
      this.main = main;
    }

    @Override
    public void run() {
      Wiring w = new Wiring(main, spec.commandLine().getErr());
      PrintWriter out = spec.commandLine().getOut();
      List<ScheduledJob> jobs = scheduled(w);
      String launcher = main.env.getOrDefault(LAUNCHER_ENV, DEFAULT_LAUNCHER);
      List<String> template = new ArrayList<>(List.of(launcher));
      w.configFile().ifPresent(f -> template.addAll(List.of("--config", f.toAbsolutePath().toString())));
      template.addAll(List.of("run", JobCommand.JOB));
      JobCommand command = new JobCommand(template);
      if (kind.cron) {
        out.print(Crontab.render(jobs, command));
        out.flush();
        return;
      }
      SystemdUnits units;
      try {
        units = new SystemdUnits(command, OptionalInt.of(nice), true);
      } catch (IllegalArgumentException e) {
        throw HoldfastException.usage("--nice: " + e.getMessage());
      }
      Path dir = outputDir != null ? outputDir : Path.of("/etc/systemd/system");
      List<String> names = new ArrayList<>();
      try {
        Files.createDirectories(dir);
        for (ScheduledJob j : jobs) {
          for (var unit : units.units(j).entrySet()) {
            Files.writeString(dir.resolve(unit.getKey()), unit.getValue());
            names.add(unit.getKey());
          }
        }
      } catch (IOException e) {
        throw new HoldfastException(ExitCode.FAILED, "cannot write units into " + dir + ": " + e.getMessage(),
            "run as root, or pass --output-dir DIR", e);
      }
      names.forEach(n -> out.println("wrote " + dir.resolve(n)));
      out.println("next: systemctl daemon-reload && systemctl enable --now "
          + String.join(" ", names.stream().filter(n -> n.endsWith(".timer")).toList()));
      out.flush();
    }
  }
}
