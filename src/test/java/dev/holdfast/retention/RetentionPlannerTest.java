package dev.holdfast.retention;

import static dev.holdfast.retention.KeepReason.DAILY;
import static dev.holdfast.retention.KeepReason.HOURLY;
import static dev.holdfast.retention.KeepReason.LAST;
import static dev.holdfast.retention.KeepReason.MONTHLY;
import static dev.holdfast.retention.KeepReason.POLICY_EMPTY;
import static dev.holdfast.retention.KeepReason.WEEKLY;
import static dev.holdfast.retention.KeepReason.WITHIN;
import static dev.holdfast.retention.KeepReason.YEARLY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.holdfast.retention.Plan.Decision;
import dev.holdfast.retention.RetentionPlanner.Item;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Fixed timelines with hand-computed results; ids are the backup times as written. */
class RetentionPlannerTest {

  private static final ZoneId UTC = ZoneOffset.UTC;
  private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");
  private static final RetentionPolicy NONE = RetentionPolicy.none();

  @Nested
  class Last {
    @Test
    void keepsTheNNewest() {
      var plan = plan(NONE.withKeepLast(3),
          "2024-01-01T10:00", "2024-01-01T11:00", "2024-01-01T12:00", "2024-01-02T00:00",
          "2023-12-31T23:00");

      assertThat(ids(plan.keep())).containsExactly(
          "2024-01-02T00:00", "2024-01-01T12:00", "2024-01-01T11:00");
      assertThat(ids(plan.remove())).containsExactly("2024-01-01T10:00", "2023-12-31T23:00");
    }

    @Test
    void moreThanThereAreKeepsAll() {
      var plan = plan(NONE.withKeepLast(200), "2024-01-01T10:00", "2024-01-01T11:00");

      assertThat(plan.remove()).isEmpty();
      assertThat(plan.decisions()).allSatisfy(d -> assertThat(d.reasons()).containsExactly(LAST));
    }

    @Test
    void equalTimesAreOrderedByIdSoTheResultDoesNotDependOnInputOrder() {
      Instant t = Instant.parse("2024-01-01T00:00:00Z");
      var forward = List.of(new Item("a", t), new Item("b", t), new Item("c", t));
      var backward = List.of(forward.get(2), forward.get(1), forward.get(0));

      for (var input : List.of(forward, backward)) {
        var plan = RetentionPlanner.plan(input, NONE.withKeepLast(1).withKeepDaily(1), UTC);
        assertThat(ids(plan.keep())).containsExactly("a");
        assertThat(ids(plan.remove())).containsExactly("b", "c");
      }
    }
  }

  @Nested
  class Hourly {
    @Test
    void keepsTheNewestOfEachOfTheNNewestHours() {
      var plan = plan(NONE.withKeepHourly(2),
          "2024-05-05T10:05", "2024-05-05T10:55", "2024-05-05T11:00", "2024-05-05T11:59",
          "2024-05-05T13:30");

      assertThat(ids(plan.keep())).containsExactly("2024-05-05T13:30", "2024-05-05T11:59");
    }

    @Test
    void sameHourOnDifferentDaysIsDifferent() {
      var plan = plan(NONE.withKeepHourly(5), "2024-05-05T10:05", "2024-05-06T10:05");

      assertThat(plan.remove()).isEmpty();
    }

    @Test
    void autumnDstRepeatedHourIsOneHourlyPeriod() {
      // 27 Oct 2024, Berlin: 02:00-03:00 local happens twice (00:00-01:00Z CEST, 01:00-02:00Z CET).
      var items = items("2024-10-27T00:10", "2024-10-27T00:30", "2024-10-27T01:10",
          "2024-10-27T01:30", "2024-10-27T02:10");

      var berlin = RetentionPlanner.plan(items, NONE.withKeepHourly(5), BERLIN);
      var utc = RetentionPlanner.plan(items, NONE.withKeepHourly(5), UTC);

      // Berlin local hours: 02 (CEST), 02 (CEST), 02 (CET), 02 (CET), 03 (CET).
      assertThat(ids(berlin.keep())).containsExactly("2024-10-27T02:10", "2024-10-27T01:30");
      assertThat(ids(utc.keep()))
          .containsExactly("2024-10-27T02:10", "2024-10-27T01:30", "2024-10-27T00:30");
    }

    @Test
    void springDstMissingHourDoesNotUseACount() {
      // 31 Mar 2024, Berlin: local 02:00-03:00 does not exist; 00:xxZ = 01:xx CET, 01:xxZ = 03:xx CEST.
      var plan = RetentionPlanner.plan(
          items("2024-03-31T00:10", "2024-03-31T00:50", "2024-03-31T01:10", "2024-03-31T01:50"),
          NONE.withKeepHourly(2), BERLIN);

      assertThat(ids(plan.keep())).containsExactly("2024-03-31T01:50", "2024-03-31T00:50");
    }
  }

  @Nested
  class Daily {
    @Test
    void keepsTheNewestOfEachOfTheNNewestDays() {
      var plan = plan(NONE.withKeepDaily(3),
          "2024-01-01T10:00", "2024-01-01T22:00", "2024-01-02T08:00", "2024-01-03T09:00",
          "2024-01-03T23:59", "2024-01-05T00:00");

      // 4 January has no backup, so it does not use a count.
      assertThat(ids(plan.keep()))
          .containsExactly("2024-01-05T00:00", "2024-01-03T23:59", "2024-01-02T08:00");
      assertThat(ids(plan.remove()))
          .containsExactly("2024-01-03T09:00", "2024-01-01T22:00", "2024-01-01T10:00");
    }

    @Test
    void daysAreCountedOnTheWallClockOfTheZone() {
      var items = items("2024-01-01T10:00", "2024-01-01T23:30"); // 23:30Z is 00:30 on 2 Jan in Berlin

      assertThat(ids(RetentionPlanner.plan(items, NONE.withKeepDaily(2), UTC).keep()))
          .containsExactly("2024-01-01T23:30");
      assertThat(ids(RetentionPlanner.plan(items, NONE.withKeepDaily(2), BERLIN).keep()))
          .containsExactly("2024-01-01T23:30", "2024-01-01T10:00");
    }

    @Test
    void autumnDstDayOf25HoursIsOneDay() {
      // Berlin local: 27 Oct 00:30 CEST, 27 Oct 23:30 CET, 28 Oct 00:30 CET.
      var plan = RetentionPlanner.plan(
          items("2024-10-26T22:30", "2024-10-27T22:30", "2024-10-27T23:30"),
          NONE.withKeepDaily(2), BERLIN);

      assertThat(ids(plan.keep())).containsExactly("2024-10-27T23:30", "2024-10-27T22:30");
      assertThat(ids(plan.remove())).containsExactly("2024-10-26T22:30");
    }

    @Test
    void springDstDayOf23HoursIsOneDay() {
      // Berlin local: 31 Mar 00:30 CET, 31 Mar 23:30 CEST, 1 Apr 00:30 CEST.
      var plan = RetentionPlanner.plan(
          items("2024-03-30T23:30", "2024-03-31T21:30", "2024-03-31T22:30"),
          NONE.withKeepDaily(2), BERLIN);

      assertThat(ids(plan.keep())).containsExactly("2024-03-31T22:30", "2024-03-31T21:30");
      assertThat(ids(plan.remove())).containsExactly("2024-03-30T23:30");
    }
  }

  @Nested
  class Weekly {
    // ISO weeks: 2019-12-29 Sun = 2019-W52; 2019-12-30 Mon and 2020-01-05 Sun = 2020-W01;
    // 2020-12-28 Mon .. 2021-01-03 Sun = 2020-W53; 2021-01-04 Mon .. 2021-01-10 Sun = 2021-W01.
    private final List<Item> yearEnd = items("2019-12-29T12:00", "2019-12-30T12:00",
        "2020-01-05T12:00", "2020-12-28T12:00", "2020-12-31T12:00", "2021-01-01T12:00",
        "2021-01-03T12:00", "2021-01-04T12:00", "2021-01-10T12:00");

    @Test
    void usesIsoWeeksAcrossYearBoundariesIncludingWeek53() {
      var plan = RetentionPlanner.plan(yearEnd, NONE.withKeepWeekly(10), UTC);

      assertThat(ids(plan.keep())).containsExactly(
          "2021-01-10T12:00", // 2021-W01
          "2021-01-03T12:00", // 2020-W53, which spans the new year
          "2020-01-05T12:00", // 2020-W01, which starts in December 2019
          "2019-12-29T12:00"); // 2019-W52
    }

    @Test
    void yearlyUsesTheCalendarYearNotTheIsoYear() {
      var plan = RetentionPlanner.plan(yearEnd, NONE.withKeepYearly(10), UTC);

      assertThat(ids(plan.keep()))
          .containsExactly("2021-01-10T12:00", "2020-12-31T12:00", "2019-12-30T12:00");
    }

    @Test
    void aWeekIsMondayToSundayNotSevenDaysBack() {
      var plan = plan(NONE.withKeepWeekly(2), "2021-01-03T23:00", "2021-01-04T01:00");

      assertThat(plan.remove()).isEmpty();
    }

    @Test
    void weeksAreCountedOnTheWallClockOfTheZone() {
      // Sunday 23:30Z is Monday 00:30 in Berlin: a new ISO week there.
      var items = items("2024-01-07T10:00", "2024-01-07T23:30");

      assertThat(RetentionPlanner.plan(items, NONE.withKeepWeekly(2), UTC).remove()).hasSize(1);
      assertThat(RetentionPlanner.plan(items, NONE.withKeepWeekly(2), BERLIN).remove()).isEmpty();
    }
  }

  @Nested
  class MonthlyAndYearly {
    @Test
    void monthlyKeepsTheNewestOfEachMonth() {
      var plan = plan(NONE.withKeepMonthly(2),
          "2024-01-31T23:00", "2024-02-01T00:00", "2024-02-29T12:00", "2024-03-15T00:00");

      assertThat(ids(plan.keep())).containsExactly("2024-03-15T00:00", "2024-02-29T12:00");
    }

    @Test
    void yearlyKeepsTheNewestOfEachYear() {
      var plan = plan(NONE.withKeepYearly(2),
          "2022-06-01T00:00", "2022-12-31T23:59", "2023-01-01T00:00", "2023-07-01T00:00",
          "2024-03-03T00:00");

      assertThat(ids(plan.keep())).containsExactly("2024-03-03T00:00", "2023-07-01T00:00");
    }

    @Test
    void monthsAreCountedOnTheWallClockOfTheZone() {
      var items = items("2024-01-15T00:00", "2024-01-31T23:30"); // 1 Feb 00:30 in Berlin

      assertThat(RetentionPlanner.plan(items, NONE.withKeepMonthly(2), UTC).remove()).hasSize(1);
      assertThat(RetentionPlanner.plan(items, NONE.withKeepMonthly(2), BERLIN).remove()).isEmpty();
    }
  }

  @Nested
  class Within {
    @Test
    void keepsBackupsStrictlyAfterNewestMinusDuration() {
      var plan = plan(NONE.withKeepWithin("2d"),
          "2024-05-10T12:00", "2024-05-08T12:00", "2024-05-08T12:01", "2024-05-01T00:00");

      assertThat(ids(plan.keep())).containsExactly("2024-05-10T12:00", "2024-05-08T12:01");
      assertThat(plan.decisions().get(0).reasons()).containsExactly(WITHIN);
    }

    @Test
    void countsFromTheNewestBackupNotFromNow() {
      var plan = plan(NONE.withKeepWithin("7d"), "2001-01-10T00:00", "2001-01-05T00:00",
          "2000-12-01T00:00");

      assertThat(ids(plan.keep())).containsExactly("2001-01-10T00:00", "2001-01-05T00:00");
    }

    @Test
    void monthRollsOverLikeGoSoTheWindowIsShorterThanJavaTimeWouldMakeIt() {
      // 31 Mar - 1m = "31 Feb" = 2 Mar 2024 (Go), not 29 Feb (java.time's minusMonths).
      var plan = plan(NONE.withKeepWithin("1m"),
          "2024-03-31T12:00", "2024-03-02T12:01", "2024-03-02T12:00", "2024-02-29T12:00");

      assertThat(ids(plan.keep())).containsExactly("2024-03-31T12:00", "2024-03-02T12:01");
    }

    @Test
    void oneDayAndTwentyFourHoursDifferAcrossDst() {
      // Newest 31 Mar 12:00 CEST. 1d back = 30 Mar 12:00 CET (11:00Z); 24h back = 10:00Z.
      var items = items("2024-03-31T10:00", "2024-03-30T10:30");

      assertThat(ids(RetentionPlanner.plan(items, NONE.withKeepWithin("1d"), BERLIN).keep()))
          .containsExactly("2024-03-31T10:00");
      assertThat(ids(RetentionPlanner.plan(items, NONE.withKeepWithin("24h"), BERLIN).keep()))
          .containsExactly("2024-03-31T10:00", "2024-03-30T10:30");
    }

    @Test
    void withNowAFutureBackupDoesNotMoveTheWindow() {
      var items = items("2030-01-01T00:00", "2024-05-31T00:00", "2024-05-25T00:00",
          "2024-05-20T00:00");
      var policy = NONE.withKeepWithin("7d");
      Instant now = Instant.parse("2024-06-01T00:00:00Z");

      assertThat(ids(RetentionPlanner.plan(items, policy, UTC, now).keep()))
          .containsExactly("2030-01-01T00:00", "2024-05-31T00:00", "2024-05-25T00:00");
      assertThat(ids(RetentionPlanner.plan(items, policy, UTC).keep()))
          .containsExactly("2030-01-01T00:00");
    }

    @Test
    void withNowABackupExactlyAtNowCountsAsFuture() {
      var items = items("2024-06-01T00:00", "2024-05-29T00:00", "2024-05-20T00:00");
      Instant now = Instant.parse("2024-06-01T00:00:00Z");

      var plan = RetentionPlanner.plan(items, NONE.withKeepWithin("3d"), UTC, now);

      // The window counts back from 29 May, so 20 May is still out.
      assertThat(ids(plan.keep())).containsExactly("2024-06-01T00:00", "2024-05-29T00:00");
    }

    @Test
    void whenEveryBackupIsInTheFutureAllAreWithin() {
      var items = items("2030-01-02T00:00", "2020-01-01T00:00");

      var plan = RetentionPlanner.plan(items, NONE.withKeepWithin("1d"), UTC,
          Instant.parse("2019-01-01T00:00:00Z"));

      assertThat(plan.remove()).isEmpty();
    }
  }

  @Nested
  class Combined {
    // One backup a day at noon, Monday 1 Jan 2024 .. Sunday 14 Jan 2024 (ISO weeks 1 and 2).
    private final List<Item> twoWeeks = dailyNoon("2024-01-01", 14);

    @Test
    void rulesCountIndependentlyAndABackupKeptByOneRuleStillUsesUpTheOthers() {
      var plan = RetentionPlanner.plan(twoWeeks,
          NONE.withKeepLast(1).withKeepDaily(3).withKeepWeekly(2), UTC);

      assertThat(reasonsById(plan)).containsExactly(
          Map.entry("2024-01-14T12:00", List.of(LAST, DAILY, WEEKLY)),
          Map.entry("2024-01-13T12:00", List.of(DAILY)),
          Map.entry("2024-01-12T12:00", List.of(DAILY)),
          Map.entry("2024-01-07T12:00", List.of(WEEKLY)));
      assertThat(plan.remove()).hasSize(10);
    }

    @Test
    void reasonsComeInResticOrderAndDescribeWithTheDuration() {
      var plan = RetentionPlanner.plan(twoWeeks,
          NONE.withKeepWithin("30d").withKeepHourly(1).withKeepMonthly(1).withKeepYearly(1), UTC);

      Decision newest = plan.decisions().get(0);
      assertThat(newest.reasons()).containsExactly(WITHIN, HOURLY, MONTHLY, YEARLY);
      assertThat(plan.describe(newest)).isEqualTo("within 30d, hourly, monthly, yearly");
      assertThat(plan.describe(plan.decisions().get(1))).isEqualTo("within 30d");
    }

    @Test
    void resticsClassicPolicyOverAYear() {
      // Daily backups at 03:00 through 2023; keep 7 daily, 4 weekly, 6 monthly, 1 yearly.
      var plan = RetentionPlanner.plan(dailyAt("2023-01-01", 365, 3),
          NONE.withKeepDaily(7).withKeepWeekly(4).withKeepMonthly(6).withKeepYearly(1), UTC);

      assertThat(ids(plan.keep())).containsExactly(
          "2023-12-31T03:00", // daily, weekly (W52 ends Sun 31 Dec), monthly, yearly
          "2023-12-30T03:00", "2023-12-29T03:00", "2023-12-28T03:00", "2023-12-27T03:00",
          "2023-12-26T03:00", "2023-12-25T03:00", // daily (Mon 25 Dec starts W52)
          "2023-12-24T03:00", "2023-12-17T03:00", "2023-12-10T03:00", // weekly, Sundays
          "2023-11-30T03:00", "2023-10-31T03:00", "2023-09-30T03:00", "2023-08-31T03:00",
          "2023-07-31T03:00"); // monthly
    }
  }

  @Nested
  class SafetyAndEdges {
    @Test
    void emptyPolicyKeepsEverythingAndSaysSo() {
      var plan = plan(NONE, "2024-01-01T00:00", "2023-01-01T00:00");

      assertThat(plan.remove()).isEmpty();
      assertThat(plan.decisions())
          .allSatisfy(d -> assertThat(d.reasons()).containsExactly(POLICY_EMPTY));
      assertThat(plan.describe(plan.decisions().get(1))).isEqualTo("policy is empty");
    }

    @Test
    void noBackupsGiveAnEmptyPlan() {
      assertThat(RetentionPlanner.plan(List.of(), NONE.withKeepLast(1), UTC).decisions()).isEmpty();
    }

    @Test
    void decisionsAreNewestFirstAndDescribeRemovals() {
      var plan = plan(NONE.withKeepLast(1), "2024-01-01T00:00", "2024-02-01T00:00");

      assertThat(plan.decisions()).extracting(d -> d.item().id())
          .containsExactly("2024-02-01T00:00", "2024-01-01T00:00");
      assertThat(plan.describe(plan.decisions().get(1))).isEqualTo("remove");
    }

    @Test
    void duplicateIdsAreRejected() {
      Instant t = Instant.parse("2024-01-01T00:00:00Z");
      var items = List.of(new Item("x", t), new Item("x", t.plusSeconds(1)));

      assertThatThrownBy(() -> RetentionPlanner.plan(items, NONE.withKeepLast(1), UTC))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("backup id x appears more than once");
    }

    @Test
    void blankIdsAreRejected() {
      assertThatThrownBy(() -> new Item(" ", Instant.EPOCH))
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Nested
  class Grouping {
    record Backup(String host, String job, String id) {}

    @Test
    void groupsByKeyInKeyOrderKeepingInputOrderWithinAGroup() {
      var backups = List.of(new Backup("nas", "photos", "1"), new Backup("db", "pg", "2"),
          new Backup("nas", "photos", "3"), new Backup("nas", "docs", "4"));

      var groups = RetentionPlanner.group(backups, b -> b.host() + "/" + b.job());

      assertThat(groups.keySet()).containsExactly("db/pg", "nas/docs", "nas/photos");
      assertThat(groups.get("nas/photos")).extracting(Backup::id).containsExactly("1", "3");
    }

    @Test
    void aNullKeyIsRejected() {
      assertThatThrownBy(() -> RetentionPlanner.group(List.of("a"), s -> null))
          .isInstanceOf(NullPointerException.class)
          .hasMessageContaining("group key of a");
    }
  }

  // --- helpers -------------------------------------------------------------------------------

  private static Plan plan(RetentionPolicy policy, String... utcTimes) {
    return RetentionPlanner.plan(items(utcTimes), policy, UTC);
  }

  /** Items whose id is the given UTC local date-time text. */
  static List<Item> items(String... utcTimes) {
    return Arrays.stream(utcTimes)
        .map(t -> new Item(t, LocalDateTime.parse(t).toInstant(ZoneOffset.UTC)))
        .toList();
  }

  private static List<Item> dailyNoon(String firstDay, int days) {
    return dailyAt(firstDay, days, 12);
  }

  private static List<Item> dailyAt(String firstDay, int days, int hour) {
    var out = new ArrayList<String>();
    var day = java.time.LocalDate.parse(firstDay);
    for (int i = 0; i < days; i++) {
      out.add(day.plusDays(i).atTime(hour, 0).toString());
    }
    return items(out.toArray(String[]::new));
  }

  static List<String> ids(List<Item> items) {
    return items.stream().map(Item::id).toList();
  }

  private static Map<String, List<KeepReason>> reasonsById(Plan plan) {
    return plan.decisions().stream()
        .filter(Decision::keep)
        .collect(Collectors.toMap(d -> d.item().id(), Decision::reasons, (a, b) -> a,
            java.util.LinkedHashMap::new));
  }
}
