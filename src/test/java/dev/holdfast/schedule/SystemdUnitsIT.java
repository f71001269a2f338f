package dev.holdfast.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checks generated units against the real systemd: {@code systemd-analyze calendar} must elapse
 * each converted OnCalendar= at the times {@link CronSchedule#next} gives, and {@code
 * systemd-analyze verify} must accept the units without a warning. Needs systemd-analyze (Debian
 * package {@code systemd}); it works without systemd running as PID 1. Skipped, saying why, when
 * it is missing.
 */
class SystemdUnitsIT {
  private static final Pattern ELAPSE =
      Pattern.compile("(?:Next elapse|Iter\\. #\\d+): \\w{3} (\\d{4}-\\d{2}-\\d{2}) (\\d{2}:\\d{2}:\\d{2}) UTC");
  private static final int ITERATIONS = 5;
  private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");
  private static final DateTimeFormatter UTC_TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneOffset.UTC);

  private static final List<String> EXPRESSIONS = List.of(
      "0 3 * * *", "30 2 * * *", "* * * * *", "*/15 * * * *", "5-59/15 * * * *", "0-30/10 * * * *",
      "5,10-12,40-50/5 * * * *", "0 */6 * * *", "0 9-17/4 * * *", "0 22-23,0-2 * * *",
      "15 3 * * 1,3", "0 8 * * MON-FRI", "0 0 * * 6,0", "0 0 * * 5-7", "0 0 * * */2",
      "0 0 31 * *", "0 0 29 2 *", "0 0 1 */3 *", "0 12 * JAN,JUL *", "0 4 1-7 * *",
      "0 0 */2 * MON", "0 0 1,15 * MON", "30 4 1 6-8 SAT,SUN", "0 0 13 * FRI", "0 0 1-31 * MON",
      "@hourly", "@daily", "@weekly", "@monthly", "@yearly");

  private static final List<String> BASES = List.of(
      "2025-01-01T00:00:30Z", "2025-02-27T23:59:59Z", "2027-12-30T12:00:00Z", "2028-02-28T06:07:08Z");

  @BeforeAll
  static void systemdAnalyzeRunsHere() throws Exception {
    String why = null;
    try {
      var r = run(List.of("systemd-analyze", "calendar", "--base-time=@0", "--iterations=1", "daily"));
      if (r.exit != 0) {
        why = "systemd-analyze calendar --base-time failed here (exit " + r.exit + "): " + r.output.strip();
      }
    } catch (IOException e) {
      why = "systemd-analyze is not installed (Debian package 'systemd'): " + e.getMessage();
    }
    if (why != null) {
      System.err.println("SystemdUnitsIT skipped: " + why);
    }
    assumeTrue(why == null, why);
  }

  @Test
  void systemdElapsesEveryConvertedExpressionWhenCronScheduleFires() throws Exception {
    int compared = 0;
    for (String cron : EXPRESSIONS) {
      for (String base : BASES) {
        var schedule = CronSchedule.parse(cron, ZoneOffset.UTC);
        var expected = expectedElapses(schedule, Instant.parse(base));
        assertThat(systemdElapses(SystemdUnits.onCalendar(schedule), Instant.parse(base)))
            .as("%s from %s as %s", cron, base, SystemdUnits.onCalendar(schedule))
            .isEqualTo(expected);
        compared++;
      }
    }
    assertThat(compared).isEqualTo(EXPRESSIONS.size() * BASES.size());
  }

  @Test
  void inAZoneSystemdAgreesAwayFromAndAtTheAutumnChange() throws Exception {
    for (String cron : List.of("30 2 * * *", "0 * * * *", "*/20 1-3 * * *", "0 0 1,15 * MON", "@daily")) {
      var schedule = CronSchedule.parse(cron, BERLIN);
      for (String base : List.of("2025-06-01T12:00:00Z", "2025-10-25T22:00:00Z", "2025-10-26T00:40:00Z")) {
        assertThat(systemdElapses(SystemdUnits.onCalendar(schedule), Instant.parse(base)))
            .as("%s (Europe/Berlin) from %s", cron, base)
            .isEqualTo(expectedElapses(schedule, Instant.parse(base)));
      }
    }
  }

  @Test
  void theKnownDifferenceIsThatSystemdSkipsATimeInTheSpringGap() throws Exception {
    var schedule = CronSchedule.parse("30 2 * * *", BERLIN);
    Instant base = Instant.parse("2025-03-29T12:00:00Z");
    var ours = expectedElapses(schedule, base);
    assertThat(ours.getFirst()).isEqualTo("2025-03-30 01:00:00"); // 03:00 CEST, right after the gap
    var systemd = systemdElapses(SystemdUnits.onCalendar(schedule), base);
    assertThat(systemd.subList(0, ITERATIONS - 1)).isEqualTo(ours.subList(1, ITERATIONS));
  }

  @Test
  void systemdVerifyAcceptsTheGeneratedUnits(@TempDir Path dir) throws Exception {
    var units = new SystemdUnits(JobCommand.holdfastRun("/bin/true"), OptionalInt.of(10), true);
    var jobs = List.of(
        new ScheduledJob("nightly", CronSchedule.parse("0 3 * * *", BERLIN), Duration.ofMinutes(30)),
        new ScheduledJob("db backup", CronSchedule.parse("0 0 1,15 * MON")),
        new ScheduledJob("hourly", CronSchedule.parse("@hourly", ZoneOffset.UTC)),
        new ScheduledJob("weekly", CronSchedule.parse("@weekly")));
    var files = new ArrayList<String>();
    for (ScheduledJob job : jobs) {
      for (Map.Entry<String, String> unit : units.units(job).entrySet()) {
        Path file = dir.resolve(unit.getKey());
        Files.writeString(file, unit.getValue());
        files.add(file.toString());
      }
    }
    var verify = new ArrayList<>(List.of("systemd-analyze", "verify", "--man=no"));
    verify.addAll(files);
    var result = run(verify);
    assertThat(result.output).as("systemd-analyze verify output").isEmpty();
    assertThat(result.exit).isZero();

    // control: verify does complain, on the same channel, about a setting it rejects
    Path broken = dir.resolve("holdfast-broken.service");
    Files.writeString(broken, units.service(jobs.getFirst()).replace("Nice=10", "Nice=100"));
    assertThat(run(List.of("systemd-analyze", "verify", "--man=no", broken.toString())).output)
        .contains("Nice");
  }

  /** The next elapses after {@code base} as UTC "yyyy-MM-dd HH:mm:ss", from our schedule. */
  private static List<String> expectedElapses(CronSchedule schedule, Instant base) {
    var out = new ArrayList<String>();
    Instant t = base;
    for (int i = 0; i < ITERATIONS; i++) {
      t = schedule.next(t).orElseThrow();
      out.add(UTC_TIME.format(t));
    }
    return out;
  }

  /** The first elapses of the union of {@code calendars} after {@code base}, from systemd. */
  private static List<String> systemdElapses(List<String> calendars, Instant base) throws Exception {
    var command = new ArrayList<>(List.of("systemd-analyze", "calendar",
        "--iterations=" + ITERATIONS, "--base-time=@" + base.getEpochSecond()));
    command.addAll(calendars);
    var result = run(command);
    assertThat(result.exit).as("systemd-analyze calendar %s: %s", calendars, result.output).isZero();
    var times = new TreeSet<String>();
    var m = ELAPSE.matcher(result.output);
    while (m.find()) {
      times.add(m.group(1) + " " + m.group(2));
    }
    return times.stream().limit(ITERATIONS).toList();
  }

  private record Result(int exit, String output) {}

  private static Result run(List<String> command) throws IOException, InterruptedException {
    var pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().put("TZ", "UTC");
    pb.environment().put("SYSTEMD_COLORS", "0");
    pb.environment().put("SYSTEMD_PAGER", "");
    Process p = pb.start();
    try (var in = p.getInputStream()) {
      String output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException(String.join(" ", command) + " did not finish within 60 s");
      }
      return new Result(p.exitValue(), output);
    } finally {
      p.destroyForcibly();
    }
  }
}
