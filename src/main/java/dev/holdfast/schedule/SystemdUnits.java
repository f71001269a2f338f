package dev.holdfast.schedule;

import java.time.DayOfWeek;
import java.time.Duration;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * Generates a {@code holdfast-<job>.service} (Type=oneshot) and {@code holdfast-<job>.timer}
 * (OnCalendar= from the job's cron schedule, Persistent=true) for systemd, as an alternative to
 * the daemon (systemd.service(5), systemd.timer(5), systemd.time(7)).
 *
 * <p>The cron expression is converted exactly: when cron's rule that a day matches if either day
 * field matches cannot be said in one calendar event (systemd ANDs weekday and date), the timer
 * gets two OnCalendar= lines, which systemd ORs. One difference remains, from systemd itself: a
 * time skipped by a spring-forward change does not elapse at all that day under systemd 252,
 * while the daemon runs it right after the gap; repeated autumn times run once under both.
 */
public final class SystemdUnits {
  private static final String PREFIX = "holdfast-";
  private static final String[] DAY_NAMES = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};

  private final JobCommand command;
  private final OptionalInt nice;
  private final boolean idleIoScheduling;

  /**
   * @param command what ExecStart= runs for a job
   * @param nice CPU niceness for backups (-20..19), or empty to inherit
   * @param idleIoScheduling whether backups get disk time only when nothing else wants it
   */
  public SystemdUnits(JobCommand command, OptionalInt nice, boolean idleIoScheduling) {
    this.command = Objects.requireNonNull(command, "command");
    this.nice = Objects.requireNonNull(nice, "nice");
    this.idleIoScheduling = idleIoScheduling;
    if (nice.isPresent() && (nice.getAsInt() < -20 || nice.getAsInt() > 19)) {
      throw new IllegalArgumentException("nice must be between -20 and 19, got " + nice.getAsInt());
    }
  }

  /** The unit name without suffix, e.g. {@code holdfast-nightly}; odd characters escaped as systemd-escape does. */
  public static String unitName(String job) {
    var out = new StringBuilder(PREFIX);
    for (byte b : job.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
      char c = (char) (b & 0xff);
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || c == '_' || c == '-' || c == ':' || (c == '.' && out.length() > PREFIX.length())) {
        out.append(c);
      } else {
        out.append(String.format("\\x%02x", b & 0xff));
      }
    }
    return out.toString();
  }

  /** The unit files for {@code job}, file name to content: the service, then the timer. */
  public Map<String, String> units(ScheduledJob job) {
    var units = new LinkedHashMap<String, String>();
    units.put(unitName(job.name()) + ".service", service(job));
    units.put(unitName(job.name()) + ".timer", timer(job));
    return units;
  }

  /** The {@code .service} unit that runs {@code job} once. */
  public String service(ScheduledJob job) {
    var s = new StringBuilder();
    s.append("[Unit]\n");
    s.append("Description=Holdfast backup job ").append(specifierEscape(job.name())).append('\n');
    // remote targets (SFTP, S3) need the network; harmless for local ones
    s.append("Wants=network-online.target\n");
    s.append("After=network-online.target\n");
    s.append('\n');
    s.append("[Service]\n");
    s.append("Type=oneshot\n");
    s.append("ExecStart=").append(execLine(command.forJob(job.name()))).append('\n');
    nice.ifPresent(n -> s.append("Nice=").append(n).append('\n'));
    if (idleIoScheduling) {
      s.append("IOSchedulingClass=idle\n");
    }
    // Hardening that leaves a backup free to read everything, write local targets anywhere,
    // run hooks (pg_dump, sudo, podman) and reach devices; archives are private to the owner.
    s.append("UMask=0077\n");
    s.append("PrivateTmp=yes\n");
    s.append("ProtectKernelTunables=yes\n");
    s.append("ProtectKernelModules=yes\n");
    s.append("ProtectKernelLogs=yes\n");
    s.append("ProtectControlGroups=yes\n");
    s.append("ProtectClock=yes\n");
    s.append("ProtectHostname=yes\n");
    s.append("RestrictRealtime=yes\n");
    s.append("LockPersonality=yes\n");
    return s.toString();
  }

  /** The {@code .timer} unit that starts the service on the job's schedule. */
  public String timer(ScheduledJob job) {
    var schedule = job.schedule();
    var s = new StringBuilder();
    s.append("[Unit]\n");
    s.append("Description=Schedule of Holdfast backup job ").append(specifierEscape(job.name()))
        .append(" (cron: ").append(schedule.expression())
        .append(schedule.timeZone().map(z -> ", " + tzName(z)).orElse(""))
        .append(")\n");
    s.append('\n');
    s.append("[Timer]\n");
    for (String calendar : onCalendar(schedule)) {
      s.append("OnCalendar=").append(calendar).append('\n');
    }
    s.append("Persistent=true\n");
    if (!job.randomizedDelay().isZero()) {
      s.append("RandomizedDelaySec=").append(seconds(job.randomizedDelay())).append('\n');
    }
    s.append("Unit=").append(unitName(job.name())).append(".service\n");
    s.append('\n');
    s.append("[Install]\n");
    s.append("WantedBy=timers.target\n");
    return s.toString();
  }

  /**
   * The OnCalendar= values equivalent to {@code schedule}: one, or two when both day fields are
   * restricted; with the schedule's zone as a suffix when it was given.
   */
  public static List<String> onCalendar(CronSchedule schedule) {
    String zone = schedule.timeZone().map(z -> " " + tzName(z)).orElse("");
    String shorthand = switch (schedule.expression()) {
      case "@hourly" -> "hourly";
      case "@daily", "@midnight" -> "daily";
      case "@monthly" -> "monthly";
      case "@yearly", "@annually" -> "yearly";
      default -> null; // @weekly is Sunday in cron but Monday in systemd
    };
    if (shorthand != null) {
      return List.of(shorthand + zone);
    }
    String time = numbers(schedule.hourMask(), 0, 23) + ":" + numbers(schedule.minuteMask(), 0, 59) + ":00";
    String month = numbers(schedule.monthMask(), 1, 12);
    long dom = schedule.dayOfMonthMask();
    long dow = schedule.dayOfWeekMask();
    boolean everyDom = dom == mask(1, 31);
    boolean everyDow = dow == mask(0, 6);
    var lines = new ArrayList<String>();
    if (schedule.daysOred() && !everyDom && !everyDow) {
      lines.add("*-" + month + "-" + numbers(dom, 1, 31) + " " + time + zone);
      lines.add(weekdays(dow) + " *-" + month + "-* " + time + zone);
    } else if (schedule.daysOred()) {
      lines.add("*-" + month + "-* " + time + zone); // one of the OR'ed fields matches every day
    } else {
      String days = everyDow ? "" : weekdays(dow) + " ";
      lines.add(days + "*-" + month + "-" + numbers(dom, 1, 31) + " " + time + zone);
    }
    return lines;
  }

  /** A zone as systemd and cronie name it: tz database names, UTC for zero offset. */
  static String tzName(ZoneId zone) {
    if (zone instanceof ZoneOffset offset) {
      int seconds = offset.getTotalSeconds();
      if (seconds == 0) {
        return "UTC";
      }
      if (seconds % 3600 != 0) {
        throw new IllegalArgumentException(
            "time zone " + zone + " has no tz database name; use a region such as Asia/Kolkata");
      }
      int hours = seconds / 3600; // Etc/GMT signs are inverted: UTC+2 is Etc/GMT-2
      return "Etc/GMT" + (hours > 0 ? "-" : "+") + Math.abs(hours);
    }
    return zone.getId();
  }

  /** A field's values in systemd.time(7) syntax: {@code *}, {@code 00/15}, {@code 08..18/2}, lists and ranges. */
  static String numbers(long mask, int min, int max) {
    if (mask == mask(min, max)) {
      return "*";
    }
    var values = new ArrayList<Integer>();
    for (long m = mask; m != 0; m &= m - 1) {
      values.add(Long.numberOfTrailingZeros(m));
    }
    if (values.size() >= 3) { // two values read better as a list
      int first = values.getFirst();
      int step = values.get(1) - first;
      boolean progression = step >= 2;
      for (int i = 2; progression && i < values.size(); i++) {
        progression = values.get(i) - values.get(i - 1) == step;
      }
      if (progression && values.getLast() + step > max) {
        return two(first) + "/" + step; // repeats up to the end of the field
      }
      if (progression) {
        return two(first) + ".." + two(values.getLast()) + "/" + step;
      }
    }
    var parts = new ArrayList<String>();
    for (int i = 0; i < values.size(); ) {
      int j = i;
      while (j + 1 < values.size() && values.get(j + 1) == values.get(j) + 1) {
        j++;
      }
      if (j - i >= 2) {
        parts.add(two(values.get(i)) + ".." + two(values.get(j)));
      } else {
        for (int k = i; k <= j; k++) {
          parts.add(two(values.get(k)));
        }
      }
      i = j + 1;
    }
    return String.join(",", parts);
  }

  /** Weekdays in systemd's Monday-first order, runs of three or more as ranges. */
  static String weekdays(long cronMask) {
    var days = new ArrayList<DayOfWeek>();
    for (DayOfWeek d : DayOfWeek.values()) {
      if ((cronMask & (1L << (d.getValue() % 7))) != 0) {
        days.add(d);
      }
    }
    var parts = new ArrayList<String>();
    for (int i = 0; i < days.size(); ) {
      int j = i;
      while (j + 1 < days.size() && days.get(j + 1).getValue() == days.get(j).getValue() + 1) {
        j++;
      }
      if (j - i >= 2) {
        parts.add(name(days.get(i)) + ".." + name(days.get(j)));
      } else {
        for (int k = i; k <= j; k++) {
          parts.add(name(days.get(k)));
        }
      }
      i = j + 1;
    }
    return String.join(",", parts);
  }

  private static String name(DayOfWeek d) {
    return DAY_NAMES[d.getValue() - 1];
  }

  private static long mask(int min, int max) {
    return (-1L >>> (63 - max)) & (-1L << min);
  }

  private static String two(int v) {
    return v < 10 ? "0" + v : Integer.toString(v);
  }

  private static String seconds(Duration d) {
    long s = d.getSeconds() + (d.getNano() > 0 ? 1 : 0);
    return Long.toString(s);
  }

  /** ExecStart= quoting (systemd.service(5), "Command lines"). */
  static String execLine(List<String> argv) {
    var out = new ArrayList<String>();
    for (String arg : argv) {
      String escaped = specifierEscape(arg).replace("$", "$$");
      if (escaped.isEmpty() || escaped.matches(".*[\\s\"'\\\\;].*")) {
        escaped = "\"" + escaped.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
      }
      out.add(escaped);
    }
    return String.join(" ", out);
  }

  private static String specifierEscape(String s) {
    return s.replace("%", "%%");
  }
}
