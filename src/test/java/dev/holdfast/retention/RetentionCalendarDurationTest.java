package dev.holdfast.retention;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class RetentionCalendarDurationTest {

  private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");

  @ParameterizedTest
  @CsvSource({
    "30d, 0, 0, 30, 0, 30d",
    "1y6m, 1, 6, 0, 0, 1y6m",
    "12h, 0, 0, 0, 12, 12h",
    "1y2m3d4h, 1, 2, 3, 4, 1y2m3d4h",
    "5d7m, 0, 7, 5, 0, 7m5d",
    "'  4h3d9m ', 0, 9, 3, 4, 9m3d4h",
    "007d, 0, 0, 7, 0, 7d",
    "0d, 0, 0, 0, 0, 0h",
  })
  void parsesResticSyntaxInAnyUnitOrder(
      String text, int y, int m, int d, int h, String printed) {
    var parsed = CalendarDuration.parse(text);

    assertThat(parsed).isEqualTo(new CalendarDuration(y, m, d, h));
    assertThat(parsed).hasToString(printed);
  }

  @Test
  void mIsMonthsNotMinutes() {
    assertThat(CalendarDuration.parse("1m").months()).isEqualTo(1);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "''         | empty duration",
        "'   '      | empty duration",
        "2w         | unknown unit 'w' after 2",
        "1y4m3w1d   | unknown unit 'w' after 3",
        "10s        | unknown unit 's'",
        "1D         | unknown unit 'D'",
        "5          | no unit after 5",
        "d          | expected a number at \"d\"",
        "-1d        | negative values are not allowed",
        "1y-5d      | expected a number at \"-5d\"",
        "1d2d       | unit 'd' given twice",
        "1y 2m      | expected a number at \" 2m\"",
        "3000000000d | 3000000000d is too large",
        "99999999999999999999h | is too large",
      })
  void rejectsMalformedDurationsWithAClearMessage(String text, String message) {
    assertThatThrownBy(() -> CalendarDuration.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(message);
  }

  @ParameterizedTest
  @ValueSource(strings = {"30d", "1y", "2m2h", "1y2m3d3h"})
  void toStringRoundTrips(String text) {
    assertThat(CalendarDuration.parse(CalendarDuration.parse(text).toString()))
        .isEqualTo(CalendarDuration.parse(text));
  }

  @Test
  void negativePartsAreRejected() {
    assertThatThrownBy(() -> new CalendarDuration(0, 0, -1, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("must not be negative");
  }

  @Test
  void monthsRollOverLikeGoInsteadOfClamping() {
    // Go: Date(2024, February, 31) = 2 March 2024; java.time's minusMonths would give 29 February.
    assertThat(CalendarDuration.parse("1m").subtractFrom(utc("2024-03-31T12:00"), ZoneOffset.UTC))
        .isEqualTo(utc("2024-03-02T12:00"));
    assertThat(CalendarDuration.parse("1m").subtractFrom(utc("2023-03-31T12:00"), ZoneOffset.UTC))
        .isEqualTo(utc("2023-03-03T12:00"));
    assertThat(CalendarDuration.parse("1y").subtractFrom(utc("2024-02-29T00:00"), ZoneOffset.UTC))
        .isEqualTo(utc("2023-03-01T00:00"));
    assertThat(CalendarDuration.parse("1m").subtractFrom(utc("2024-01-15T00:00"), ZoneOffset.UTC))
        .isEqualTo(utc("2023-12-15T00:00"));
    assertThat(CalendarDuration.parse("14m").subtractFrom(utc("2024-01-15T00:00"), ZoneOffset.UTC))
        .isEqualTo(utc("2022-11-15T00:00"));
  }

  @Test
  void daysSubtractBeforeTheMonthRollsOver() {
    // Go: Date(2024, February, 31 - 14) = 17 February.
    assertThat(CalendarDuration.parse("1m14d").subtractFrom(utc("2024-03-31T00:00"), ZoneOffset.UTC))
        .isEqualTo(utc("2024-02-17T00:00"));
  }

  @Test
  void daysAreCalendarDaysButHoursAreExactAcrossDst() {
    Instant newest = berlin("2024-03-31T12:00"); // CEST, the spring-forward day
    assertThat(CalendarDuration.parse("1d").subtractFrom(newest, BERLIN))
        .isEqualTo(berlin("2024-03-30T12:00"));
    assertThat(CalendarDuration.parse("24h").subtractFrom(newest, BERLIN))
        .isEqualTo(berlin("2024-03-30T11:00"));
    assertThat(CalendarDuration.parse("1d").subtractFrom(newest, ZoneOffset.UTC))
        .isEqualTo(newest.minusSeconds(86_400));
  }

  @Test
  void wallClockInTheSpringGapMovesForwardLikeGo() {
    // 02:30 on 31 March 2024 does not exist in Berlin; Go's time.Date yields 03:30 CEST.
    assertThat(CalendarDuration.parse("1d").subtractFrom(berlin("2024-04-01T02:30"), BERLIN))
        .isEqualTo(Instant.parse("2024-03-31T01:30:00Z"));
  }

  @Test
  void wallClockInTheAutumnOverlapTakesTheLaterOffsetLikeGo() {
    // 02:30 on 27 October 2024 happens twice in Berlin; Go's time.Date picks 02:30 CET (01:30Z),
    // java.time's default would be 02:30 CEST (00:30Z).
    assertThat(CalendarDuration.parse("1d").subtractFrom(berlin("2024-10-28T02:30"), BERLIN))
        .isEqualTo(Instant.parse("2024-10-27T01:30:00Z"));
  }

  @Test
  void keepsSubSecondPrecision() {
    assertThat(CalendarDuration.ofHours(1).subtractFrom(Instant.parse("2024-01-01T10:00:00.123456789Z"), BERLIN))
        .isEqualTo(Instant.parse("2024-01-01T09:00:00.123456789Z"));
  }

  @Test
  void aHugeDurationReachesBackToTheBeginningOfTime() {
    assertThat(new CalendarDuration(Integer.MAX_VALUE, 0, 0, 0).subtractFrom(utc("2024-01-01T00:00"), ZoneOffset.UTC))
        .isEqualTo(Instant.MIN);
  }

  private static Instant utc(String localDateTime) {
    return LocalDateTime.parse(localDateTime).toInstant(ZoneOffset.UTC);
  }

  private static Instant berlin(String localDateTime) {
    return LocalDateTime.parse(localDateTime).atZone(BERLIN).toInstant();
  }
}
