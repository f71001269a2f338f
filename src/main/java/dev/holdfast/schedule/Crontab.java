package dev.holdfast.schedule;

import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Renders jobs as crontab(5) lines, for hosts that run cron rather than systemd timers or the
 * daemon. A job with a zone is preceded by {@code CRON_TZ=}, which cronie (Fedora, RHEL, Arch,
 * openSUSE) honours; Debian's and Ubuntu's cron ignore it and use the system zone. Cron has no
 * catch-up of missed runs; use the daemon or timers when the host is not always on.
 */
public final class Crontab {
  private Crontab() {}

  /**
   * A crontab fragment for {@code jobs}: jobs on the host's zone first (a CRON_TZ= line applies to
   * every line after it), then one CRON_TZ= group per zone.
   */
  public static String render(List<ScheduledJob> jobs, JobCommand command) {
    var byZone = new LinkedHashMap<Optional<ZoneId>, List<ScheduledJob>>();
    byZone.put(Optional.empty(), new ArrayList<>());
    for (ScheduledJob job : jobs) {
      byZone.computeIfAbsent(job.schedule().timeZone(), z -> new ArrayList<>()).add(job);
    }
    var out = new StringBuilder("# Holdfast backup jobs (generated: regenerate rather than edit)\n");
    for (Map.Entry<Optional<ZoneId>, List<ScheduledJob>> group : byZone.entrySet()) {
      if (group.getKey().isPresent() && !group.getValue().isEmpty()) {
        out.append("# CRON_TZ needs cronie; Debian's cron ignores it\n");
        out.append("CRON_TZ=").append(SystemdUnits.tzName(group.getKey().get())).append('\n');
      }
      for (ScheduledJob job : group.getValue()) {
        out.append(line(job, command)).append('\n');
      }
    }
    return out.toString();
  }

  /** One job's line, without any CRON_TZ=: {@code 0 3 * * * /usr/local/bin/holdfast run nightly}. */
  public static String line(ScheduledJob job, JobCommand command) {
    var words = new ArrayList<String>();
    for (String arg : command.forJob(job.name())) {
      words.add(shellQuote(arg));
    }
    String run = String.join(" ", words);
    Duration delay = job.randomizedDelay();
    if (!delay.isZero()) {
      long max = delay.getSeconds() + (delay.getNano() > 0 ? 1 : 0);
      run = "sleep $(shuf -i 0-" + max + " -n 1) && " + run; // cron has no RandomizedDelaySec
    }
    // an unescaped % ends the command in crontab(5)
    return job.schedule().expression() + " " + run.replace("%", "\\%");
  }

  static String shellQuote(String arg) {
    if (!arg.isEmpty() && arg.matches("[A-Za-z0-9_@%+=:,./-]+")) {
      return arg;
    }
    return "'" + arg.replace("'", "'\\''") + "'";
  }
}
