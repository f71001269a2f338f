package dev.holdfast.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SystemdUnitsTest {
  static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");

  static List<String> onCalendar(String cron) {
    return SystemdUnits.onCalendar(CronSchedule.parse(cron));
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(delimiter = '|', quoteCharacter = '"', textBlock = """
      0 3 * * *                 | *-*-* 03:00:00
      30 2 * * *                | *-*-* 02:30:00
      * * * * *                 | *-*-* *:*:00
      */15 * * * *              | *-*-* *:00/15:00
      5-59/15 * * * *           | *-*-* *:05/15:00
      0-30/10 * * * *           | *-*-* *:00..30/10:00
      5,10-12,40-50/5 * * * *   | *-*-* *:05,10..12,40,45,50:00
      0 */6 * * *               | *-*-* 00/6:00:00
      0 9-17/4 * * *            | *-*-* 09..17/4:00:00
      0 8-18 * * *              | *-*-* 08..18:00:00
      0 22-23,0-2 * * *         | *-*-* 00..02,22,23:00:00
      15 3 * * 1,3              | Mon,Wed *-*-* 03:15:00
      0 8 * * MON-FRI           | Mon..Fri *-*-* 08:00:00
      0 0 * * 6,0               | Sat,Sun *-*-* 00:00:00
      0 0 * * 5-7               | Fri..Sun *-*-* 00:00:00
      0 0 * * 0,1,2             | Mon,Tue,Sun *-*-* 00:00:00
      0 0 * * 0-6               | *-*-* 00:00:00
      0 0 * * */2               | Tue,Thu,Sat,Sun *-*-* 00:00:00
      0 0 31 * *                | *-*-31 00:00:00
      0 0 29 2 *                | *-02-29 00:00:00
      0 0 1 */3 *               | *-01/3-01 00:00:00
      0 12 * JAN,JUL *          | *-01,07-* 12:00:00
      0 4 1-7 * *               | *-*-01..07 04:00:00
      0 0 */2 * MON             | Mon *-*-01/2 00:00:00
      0 0 1-31 * MON            | *-*-* 00:00:00
      0 0 1 * *                 | *-*-01 00:00:00
      @hourly                   | hourly
      @daily                    | daily
      @midnight                 | daily
      @monthly                  | monthly
      @yearly                   | yearly
      @annually                 | yearly
      @weekly                   | Sun *-*-* 00:00:00
      """)
  void convertsToOneCalendarEvent(String cron, String calendar) {
    assertThat(onCalendar(cron)).containsExactly(calendar);
  }

  @Test
  void cronsDayOrRuleBecomesTwoCalendarEvents() {
    assertThat(onCalendar("0 0 1,15 * MON"))
        .containsExactly("*-*-01,15 00:00:00", "Mon *-*-* 00:00:00");
    assertThat(onCalendar("30 4 1 6-8 SAT,SUN"))
        .containsExactly("*-06..08-01 04:30:00", "Sat,Sun *-06..08-* 04:30:00");
  }

  @Test
  void aGivenZoneIsASuffix() {
    assertThat(SystemdUnits.onCalendar(CronSchedule.parse("0 3 * * *", BERLIN)))
        .containsExactly("*-*-* 03:00:00 Europe/Berlin");
    assertThat(SystemdUnits.onCalendar(CronSchedule.parse("@daily", BERLIN)))
        .containsExactly("daily Europe/Berlin");
    assertThat(SystemdUnits.onCalendar(CronSchedule.parse("0 0 1 * MON", ZoneId.of("America/New_York"))))
        .containsExactly("*-*-01 00:00:00 America/New_York", "Mon *-*-* 00:00:00 America/New_York");
    assertThat(SystemdUnits.onCalendar(CronSchedule.parse("0 3 * * *", ZoneOffset.UTC)))
        .containsExactly("*-*-* 03:00:00 UTC");
    assertThat(SystemdUnits.tzName(ZoneOffset.ofHours(2))).isEqualTo("Etc/GMT-2");
    assertThat(SystemdUnits.tzName(ZoneOffset.ofHours(-5))).isEqualTo("Etc/GMT+5");
    assertThatThrownBy(() -> SystemdUnits.tzName(ZoneOffset.ofHoursMinutes(5, 30)))
        .hasMessageContaining("has no tz database name");
  }

  @Test
  void serviceAndTimerUnits() {
    var units = new SystemdUnits(JobCommand.holdfastRun("/usr/local/bin/holdfast"), OptionalInt.of(10), true);
    var job = new ScheduledJob("nightly", CronSchedule.parse("0 3 * * *", BERLIN), Duration.ofMinutes(10));
    assertThat(units.units(job)).containsOnlyKeys("holdfast-nightly.service", "holdfast-nightly.timer");
    assertThat(units.service(job)).isEqualTo("""
        [Unit]
        Description=Holdfast backup job nightly
        Wants=network-online.target
        After=network-online.target

        [Service]
        Type=oneshot
        ExecStart=/usr/local/bin/holdfast run nightly
        Nice=10
        IOSchedulingClass=idle
        UMask=0077
        PrivateTmp=yes
        ProtectKernelTunables=yes
        ProtectKernelModules=yes
        ProtectKernelLogs=yes
        ProtectControlGroups=yes
        ProtectClock=yes
        ProtectHostname=yes
        RestrictRealtime=yes
        LockPersonality=yes
        """);
    assertThat(units.timer(job)).isEqualTo("""
        [Unit]
        Description=Schedule of Holdfast backup job nightly (cron: 0 3 * * *, Europe/Berlin)

        [Timer]
        OnCalendar=*-*-* 03:00:00 Europe/Berlin
        Persistent=true
        RandomizedDelaySec=600
        Unit=holdfast-nightly.service

        [Install]
        WantedBy=timers.target
        """);
  }

  @Test
  void niceAndIdleIoAreOptional() {
    var units = new SystemdUnits(JobCommand.holdfastRun("/usr/bin/holdfast"), OptionalInt.empty(), false);
    var service = units.service(new ScheduledJob("db", CronSchedule.parse("@hourly")));
    assertThat(service).doesNotContain("Nice=").doesNotContain("IOSchedulingClass=");
    assertThat(units.timer(new ScheduledJob("db", CronSchedule.parse("@hourly"))))
        .contains("OnCalendar=hourly\n").doesNotContain("RandomizedDelaySec").contains("(cron: @hourly)");
    assertThatThrownBy(() -> new SystemdUnits(JobCommand.holdfastRun("/x"), OptionalInt.of(20), false))
        .hasMessage("nice must be between -20 and 19, got 20");
  }

  @Test
  void theCommandIsConfigurableAndQuotedForSystemd() {
    var command = new JobCommand(List.of("/opt/hold fast/bin/holdfast", "--config", "/etc/holdfast/100%.yml", "run", "{job}"));
    var units = new SystemdUnits(command, OptionalInt.empty(), false);
    assertThat(units.service(new ScheduledJob("nightly", CronSchedule.parse("@daily"))))
        .contains("ExecStart=\"/opt/hold fast/bin/holdfast\" --config /etc/holdfast/100%%.yml run nightly\n");
    assertThat(SystemdUnits.execLine(List.of("/bin/x", "a\"b", "$HOME", "back\\slash", "")))
        .isEqualTo("/bin/x \"a\\\"b\" $$HOME \"back\\\\slash\" \"\"");
  }

  @Test
  void unitNamesEscapeWhatSystemdDoesNotAllow() {
    assertThat(SystemdUnits.unitName("nightly")).isEqualTo("holdfast-nightly");
    assertThat(SystemdUnits.unitName("db-main_2.local")).isEqualTo("holdfast-db-main_2.local");
    assertThat(SystemdUnits.unitName("db backup/ü")).isEqualTo("holdfast-db\\x20backup\\x2f\\xc3\\xbc");
  }

  @Test
  void crontabLinesWithCronTzGroups() {
    var command = JobCommand.holdfastRun("/usr/local/bin/holdfast");
    var jobs = List.of(
        new ScheduledJob("berlin-1", CronSchedule.parse("30 2 * * *", BERLIN)),
        new ScheduledJob("local", CronSchedule.parse("@daily")),
        new ScheduledJob("nyc", CronSchedule.parse("0 1 * * MON-FRI", ZoneId.of("America/New_York")), Duration.ofMinutes(5)),
        new ScheduledJob("berlin-2", CronSchedule.parse("*/15 * * * *", BERLIN)));
    assertThat(Crontab.render(jobs, command)).isEqualTo("""
        # Holdfast backup jobs (generated: regenerate rather than edit)
        @daily /usr/local/bin/holdfast run local
        # CRON_TZ needs cronie; Debian's cron ignores it
        CRON_TZ=Europe/Berlin
        30 2 * * * /usr/local/bin/holdfast run berlin-1
        */15 * * * * /usr/local/bin/holdfast run berlin-2
        # CRON_TZ needs cronie; Debian's cron ignores it
        CRON_TZ=America/New_York
        0 1 * * MON-FRI sleep $(shuf -i 0-300 -n 1) && /usr/local/bin/holdfast run nyc
        """);
  }

  @Test
  void crontabCommandsAreShellQuotedAndPercentEscaped() {
    var command = new JobCommand(List.of("/opt/hold fast/holdfast", "-o", "name=%Y", "run", "{job}"));
    assertThat(Crontab.line(new ScheduledJob("it's", CronSchedule.parse("0 3 * * *")), command))
        .isEqualTo("0 3 * * * '/opt/hold fast/holdfast' -o name=\\%Y run 'it'\\''s'");
  }
}
