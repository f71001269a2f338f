package dev.holdfast.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CronScheduleTest {
  static final ZoneId UTC = ZoneOffset.UTC;
  static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");
  static final ZoneId NEW_YORK = ZoneId.of("America/New_York");

  /** The next {@code n} firings after the local time {@code start} in {@code zone}, as offset times. */
  static List<String> nexts(String expr, ZoneId zone, String start, int n) {
    var schedule = CronSchedule.parse(expr, zone);
    var t = LocalDateTime.parse(start).atZone(zone);
    var out = new ArrayList<String>();
    for (int i = 0; i < n; i++) {
      t = schedule.next(t).orElseThrow();
      out.add(t.toOffsetDateTime().toString());
    }
    return out;
  }

  static List<String> utc(String expr, String start, int n) {
    return nexts(expr, UTC, start, n).stream().map(s -> s.replace("Z", "")).toList();
  }

  @Nested
  class Syntax {
    @Test
    void everyFieldTakesNumbersRangesListsAndSteps() {
      assertThat(utc("5,10-12,40-50/5 * * * *", "2025-01-01T00:00", 8))
          .containsExactly("2025-01-01T00:05", "2025-01-01T00:10", "2025-01-01T00:11",
              "2025-01-01T00:12", "2025-01-01T00:40", "2025-01-01T00:45", "2025-01-01T00:50",
              "2025-01-01T01:05");
      assertThat(utc("0 */6 * * *", "2025-01-01T00:00", 4))
          .containsExactly("2025-01-01T06:00", "2025-01-01T12:00", "2025-01-01T18:00", "2025-01-02T00:00");
      assertThat(utc("0 9-17/4 * * *", "2025-01-01T00:00", 4))
          .containsExactly("2025-01-01T09:00", "2025-01-01T13:00", "2025-01-01T17:00", "2025-01-02T09:00");
      assertThat(utc("*/7 * * * *", "2025-01-01T00:50", 3))
          .as("a step restarts at each hour, as in cron").containsExactly(
              "2025-01-01T00:56", "2025-01-01T01:00", "2025-01-01T01:07");
      assertThat(utc("* * * * *", "2025-01-01T00:00:30", 2))
          .containsExactly("2025-01-01T00:01", "2025-01-01T00:02");
    }

    @Test
    void monthAndDayNamesInAnyCaseAndSundayIsZeroOrSeven() {
      assertThat(utc("0 0 1 jan,Jul *", "2025-01-01T00:00", 2))
          .containsExactly("2025-07-01T00:00", "2026-01-01T00:00");
      assertThat(utc("0 8 * * MON-FRI", "2025-01-03T09:00", 3)) // 2025-01-03 is a Friday
          .containsExactly("2025-01-06T08:00", "2025-01-07T08:00", "2025-01-08T08:00");
      assertThat(utc("0 0 * * 7", "2025-01-01T00:00", 1)).containsExactly("2025-01-05T00:00");
      assertThat(utc("0 0 * * 0", "2025-01-01T00:00", 1)).containsExactly("2025-01-05T00:00");
      assertThat(utc("0 0 * * 5-7", "2025-01-01T00:00", 3))
          .containsExactly("2025-01-03T00:00", "2025-01-04T00:00", "2025-01-05T00:00");
      assertThat(utc("0 0 * * sat,sun", "2025-01-01T00:00", 2))
          .containsExactly("2025-01-04T00:00", "2025-01-05T00:00");
      assertThat(utc("0 0 * * */2", "2025-01-01T00:00", 3)) // Sun, Tue, Thu, Sat
          .containsExactly("2025-01-02T00:00", "2025-01-04T00:00", "2025-01-05T00:00");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
        @hourly    | 0 * * * *
        @daily     | 0 0 * * *
        @midnight  | 0 0 * * *
        @weekly    | 0 0 * * 0
        @monthly   | 0 0 1 * *
        @yearly    | 0 0 1 1 *
        @annually  | 0 0 1 1 *
        @DAILY     | 0 0 * * *
        """)
    void nicknamesMeanTheirCrontabLines(String nickname, String same) {
      assertThat(utc(nickname, "2024-12-30T10:00", 5)).isEqualTo(utc(same, "2024-12-30T10:00", 5));
      assertThat(CronSchedule.parse(nickname, UTC).expression()).isEqualTo(nickname.toLowerCase());
    }

    @Test
    void whitespaceIsNormalized() {
      assertThat(CronSchedule.parse("  0\t3  * *   * ", UTC).expression()).isEqualTo("0 3 * * *");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', textBlock = """
        0 0 * * 8          | day-of-week: '8' is out of range 0-7
        60 * * * *         | minute: '60' is out of range 0-59
        0 24 * * *         | hour: '24' is out of range 0-23
        0 0 0 * *          | day-of-month: '0' is out of range 1-31
        0 0 32 * *         | day-of-month: '32' is out of range 1-31
        0 0 1 13 *         | month: '13' is out of range 1-12
        0 0 1 0 *          | month: '0' is out of range 1-12
        0 0 * * 5-1        | day-of-week: '5-1' is a descending range; ranges go from low to high, so write it as a list: '5-7,0-1'
        0 22-2 * * *       | hour: '22-2' is a descending range; ranges go from low to high, so write it as a list: '22-23,0-2'
        */0 * * * *        | minute: '*/0' has step 0, out of range 1-59
        */x * * * *        | minute: '*/x' has step 'x', which is not a number
        5/15 * * * *       | minute: '5/15' has a step but no range; write '5-59/15'
        1,,2 * * * *       | minute: '1,,2' has an empty list element
        0 0 * FOO *        | month: 'FOO' is not a number or a month name (JAN-DEC)
        0 0 * * MONDAY     | day-of-week: 'MONDAY' is not a number or a day name (SUN-SAT)
        0 0 * * MON#2      | day-of-week: 'MON#2' is not a number or a day name (SUN-SAT)
        0 0 L * *          | day-of-month: 'L' is not a number ('?', 'L', 'W' and '#' are Quartz syntax, not cron)
        0 0 ? * MON        | day-of-month: '?' is not a number ('?', 'L', 'W' and '#' are Quartz syntax, not cron)
        -1 * * * *         | minute: '-1' is not a number
        0 0 * JAN *        | VALID
        0 0 30 2 *         | day-of-month: '30' never occurs in month '2'
        0 0 31 4,6,9,11 *  | day-of-month: '31' never occurs in month '4,6,9,11'
        0 0 * *            | expected 5 fields (minute hour day-of-month month day-of-week) but found 4
        0 0 0 * * *        | expected 5 fields (minute hour day-of-month month day-of-week) but found 6; seconds and years (Quartz, Spring) are not supported
        @reboot            | '@reboot' is not a time schedule; use a cron expression or a nickname such as @daily
        @fortnightly       | unknown nickname '@fortnightly'; known: @hourly, @daily, @midnight, @weekly, @monthly, @yearly, @annually
        """)
    void parseErrorsNameTheFieldAndTheValue(String expression, String problem) {
      if (problem.equals("VALID")) {
        CronSchedule.parse(expression, UTC); // control: valid
        return;
      }
      assertThatThrownBy(() -> CronSchedule.parse(expression, UTC))
          .isInstanceOfSatisfying(CronSyntaxException.class, e -> {
            assertThat(e.problem()).isEqualTo(problem);
            assertThat(e.expression()).isEqualTo(expression);
            assertThat(e).hasMessage(problem + " (in cron expression '" + expression + "')");
          });
    }

    @Test
    void emptyExpressionIsAnError() {
      assertThatThrownBy(() -> CronSchedule.parse("  ", UTC))
          .isInstanceOf(CronSyntaxException.class)
          .hasMessageContaining("the cron expression is empty");
    }

    @Test
    void zoneIsRememberedOnlyWhenGiven() {
      assertThat(CronSchedule.parse("0 3 * * *", BERLIN).timeZone()).contains(BERLIN);
      var host = CronSchedule.parse("0 3 * * *");
      assertThat(host.timeZone()).isEmpty();
      assertThat(host.zone()).isEqualTo(ZoneId.systemDefault());
      assertThat(CronSchedule.parse("0  3 * * *", BERLIN)).isEqualTo(CronSchedule.parse("0 3 * * *", BERLIN))
          .isNotEqualTo(CronSchedule.parse("0 3 * * *", UTC));
    }
  }

  @Nested
  class Days {
    @Test
    void thirtyFirstSkipsShortMonths() {
      assertThat(utc("0 0 31 * *", "2025-01-31T00:00", 4))
          .containsExactly("2025-03-31T00:00", "2025-05-31T00:00", "2025-07-31T00:00", "2025-08-31T00:00");
    }

    @Test
    void february29thWaitsForTheNextLeapYear() {
      assertThat(utc("0 0 29 2 *", "2025-03-01T00:00", 2))
          .containsExactly("2028-02-29T00:00", "2032-02-29T00:00");
      assertThat(utc("0 0 29 2 *", "2096-03-01T00:00", 1))
          .as("2100 is not a leap year").containsExactly("2104-02-29T00:00");
      assertThat(CronSchedule.parse("0 0 29 2 *", UTC).latest(Instant.parse("2028-02-28T23:59:00Z")))
          .contains(Instant.parse("2024-02-29T00:00:00Z"));
    }

    @Test
    void bothDayFieldsRestrictedMeansEitherMatches() {
      // 1st and 15th of the month, and every Monday (Vixie cron rule)
      assertThat(utc("0 0 1,15 * MON", "2025-01-01T00:00", 6))
          .containsExactly("2025-01-06T00:00", "2025-01-13T00:00", "2025-01-15T00:00",
              "2025-01-20T00:00", "2025-01-27T00:00", "2025-02-01T00:00");
    }

    @Test
    void aDayFieldStartingWithStarMeansBothMustMatch() {
      // '*/2' in day-of-month counts as unrestricted: odd days that are also Mondays
      assertThat(utc("0 0 */2 * MON", "2025-01-01T00:00", 3))
          .containsExactly("2025-01-13T00:00", "2025-01-27T00:00", "2025-02-03T00:00");
      assertThat(utc("0 0 13 * *", "2025-01-01T00:00", 2))
          .containsExactly("2025-01-13T00:00", "2025-02-13T00:00");
      assertThat(utc("0 0 * * FRI", "2025-01-01T00:00", 2))
          .containsExactly("2025-01-03T00:00", "2025-01-10T00:00");
    }

    @Test
    void fridayThe13thNeedsAStarTrick() {
      // plain '13 * FRI' is 13th OR Friday; there is no 5-field AND, a known cron limitation
      assertThat(utc("0 0 13 * FRI", "2025-01-01T00:00", 3))
          .containsExactly("2025-01-03T00:00", "2025-01-10T00:00", "2025-01-13T00:00");
    }
  }

  @Nested
  class DaylightSaving {
    @Test
    void berlinSpringForwardRunsASkippedTimeOnceRightAfterTheGap() {
      // 2025-03-30: 02:00 CET -> 03:00 CEST
      assertThat(nexts("30 2 * * *", BERLIN, "2025-03-29T12:00", 3))
          .containsExactly("2025-03-30T03:00+02:00", "2025-03-31T02:30+02:00", "2025-04-01T02:30+02:00");
      assertThat(nexts("0 * * * *", BERLIN, "2025-03-30T00:30", 3))
          .containsExactly("2025-03-30T01:00+01:00", "2025-03-30T03:00+02:00", "2025-03-30T04:00+02:00");
      assertThat(nexts("*/20 * * * *", BERLIN, "2025-03-30T01:30", 3))
          .as("every skipped slot coalesces into one run at the jump")
          .containsExactly("2025-03-30T01:40+01:00", "2025-03-30T03:00+02:00", "2025-03-30T03:20+02:00");
    }

    @Test
    void berlinFallBackRunsARepeatedTimeOnce() {
      // 2025-10-26: 03:00 CEST -> 02:00 CET, 02:00-02:59 happens twice
      assertThat(nexts("30 2 * * *", BERLIN, "2025-10-25T12:00", 3))
          .containsExactly("2025-10-26T02:30+02:00", "2025-10-27T02:30+01:00", "2025-10-28T02:30+01:00");
      assertThat(nexts("0 * * * *", BERLIN, "2025-10-26T00:30", 4))
          .containsExactly("2025-10-26T01:00+02:00", "2025-10-26T02:00+02:00",
              "2025-10-26T03:00+01:00", "2025-10-26T04:00+01:00");
    }

    @Test
    void askingFromInsideTheRepeatedHourDoesNotRunItAgain() {
      var schedule = CronSchedule.parse("30 2 * * *", BERLIN);
      var secondPass = ZonedDateTime.ofStrict(LocalDateTime.parse("2025-10-26T02:10"), ZoneOffset.ofHours(1), BERLIN);
      assertThat(schedule.next(secondPass).orElseThrow().toOffsetDateTime())
          .hasToString("2025-10-27T02:30+01:00");
      assertThat(schedule.latest(secondPass).orElseThrow().toOffsetDateTime())
          .as("the wall clock already showed 02:30 an hour ago").hasToString("2025-10-26T02:30+02:00");
      var hourly = CronSchedule.parse("0 * * * *", BERLIN);
      assertThat(hourly.latest(secondPass).orElseThrow().toOffsetDateTime()).hasToString("2025-10-26T02:00+02:00");
      assertThat(hourly.next(secondPass).orElseThrow().toOffsetDateTime()).hasToString("2025-10-26T03:00+01:00");
    }

    @Test
    void newYorkSpringForward() {
      // 2025-03-09: 02:00 EST -> 03:00 EDT
      assertThat(nexts("30 2 * * *", NEW_YORK, "2025-03-08T12:00", 3))
          .containsExactly("2025-03-09T03:00-04:00", "2025-03-10T02:30-04:00", "2025-03-11T02:30-04:00");
      assertThat(nexts("0 * * * *", NEW_YORK, "2025-03-09T00:30", 3))
          .containsExactly("2025-03-09T01:00-05:00", "2025-03-09T03:00-04:00", "2025-03-09T04:00-04:00");
    }

    @Test
    void newYorkFallBack() {
      // 2025-11-02: 02:00 EDT -> 01:00 EST, 01:00-01:59 happens twice; 02:30 happens once
      assertThat(nexts("30 2 * * *", NEW_YORK, "2025-11-01T12:00", 2))
          .containsExactly("2025-11-02T02:30-05:00", "2025-11-03T02:30-05:00");
      assertThat(nexts("30 1 * * *", NEW_YORK, "2025-11-01T12:00", 2))
          .containsExactly("2025-11-02T01:30-04:00", "2025-11-03T01:30-05:00");
      assertThat(nexts("0 * * * *", NEW_YORK, "2025-11-02T00:30", 3))
          .containsExactly("2025-11-02T01:00-04:00", "2025-11-02T02:00-05:00", "2025-11-02T03:00-05:00");
    }

    @Test
    void latestFindsTheCoalescedSpringSlot() {
      var schedule = CronSchedule.parse("30 2 * * *", BERLIN);
      var at = LocalDateTime.parse("2025-03-30T03:10").atZone(BERLIN);
      assertThat(schedule.latest(at).orElseThrow().toOffsetDateTime()).hasToString("2025-03-30T03:00+02:00");
      assertThat(schedule.latest(at.withHour(3).withMinute(0)).orElseThrow().toOffsetDateTime())
          .as("at or before, inclusive").hasToString("2025-03-30T03:00+02:00");
      assertThat(schedule.next(at.withHour(3).withMinute(0)).orElseThrow().toOffsetDateTime())
          .as("strictly after").hasToString("2025-03-31T02:30+02:00");
    }

    @Test
    void resultsAreInTheScheduleZoneWhateverTheArgumentZone() {
      var schedule = CronSchedule.parse("0 3 * * *", BERLIN);
      var next = schedule.next(ZonedDateTime.parse("2025-06-01T00:00Z")).orElseThrow();
      assertThat(next.getZone()).isEqualTo(BERLIN);
      assertThat(next.toInstant()).isEqualTo(Instant.parse("2025-06-01T01:00:00Z"));
    }
  }

  @Test
  void latestIsInclusiveAndNextIsStrict() {
    var schedule = CronSchedule.parse("0 3 * * *", UTC);
    var slot = Instant.parse("2025-05-05T03:00:00Z");
    assertThat(schedule.latest(slot)).contains(slot);
    assertThat(schedule.latest(slot.minusNanos(1))).contains(Instant.parse("2025-05-04T03:00:00Z"));
    assertThat(schedule.next(slot)).contains(Instant.parse("2025-05-06T03:00:00Z"));
    assertThat(schedule.next(slot.minusNanos(1))).contains(slot);
  }

  @Test
  void nextAndLatestOfARareScheduleAreFastEnough() {
    var schedule = CronSchedule.parse("0 0 29 2 1", UTC); // Feb 29 OR any Monday: common
    var rare = CronSchedule.parse("0 0 */28 2 1", UTC); // Feb 1 or 29 that is a Monday
    long start = System.nanoTime();
    for (int i = 0; i < 1000; i++) {
      schedule.next(Instant.parse("2025-01-01T00:00:00Z").plusSeconds(i * 3600L));
    }
    assertThat(rare.next(Instant.parse("2025-01-01T00:00:00Z")))
        .contains(Instant.parse("2027-02-01T00:00:00Z"));
    assertThat(rare.next(Instant.parse("2027-02-02T00:00:00Z")))
        .contains(Instant.parse("2038-02-01T00:00:00Z"));
    assertThat(System.nanoTime() - start).isLessThan(2_000_000_000L);
  }
}
