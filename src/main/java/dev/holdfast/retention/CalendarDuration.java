package dev.holdfast.retention;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.zone.ZoneRules;

/**
 * A span of calendar years, months, days and wall-clock hours in restic's duration syntax
 * ({@code 1y6m}, {@code 30d}, {@code 12h}), as used by {@code --keep-within}.
 *
 * <p>Years, months and days are calendar units, hours are exact hours: {@code 1d} and {@code 24h}
 * differ across a daylight-saving change, as they do in restic.
 */
public record CalendarDuration(int years, int months, int days, int hours) {

  public static final CalendarDuration ZERO = new CalendarDuration(0, 0, 0, 0);

  public CalendarDuration {
    if (years < 0 || months < 0 || days < 0 || hours < 0) {
      throw new IllegalArgumentException(
          "duration parts must not be negative: " + years + "y" + months + "m" + days + "d"
              + hours + "h");
    }
  }

  public static CalendarDuration ofDays(int days) {
    return new CalendarDuration(0, 0, days, 0);
  }

  public static CalendarDuration ofHours(int hours) {
    return new CalendarDuration(0, 0, 0, hours);
  }

  /**
   * Parses restic's syntax: one or more {@code <number><unit>} parts, unit {@code y} (years),
   * {@code m} (months, not minutes), {@code d} (days) or {@code h} (hours), in any order, each unit
   * at most once. Surrounding whitespace is ignored.
   *
   * @throws IllegalArgumentException saying what is wrong and where
   */
  public static CalendarDuration parse(String text) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException(
          "empty duration: expected e.g. 30d, 1y6m or 12h (units y, m = months, d, h)");
    }
    String s = text.strip();
    long[] parts = new long[4]; // y, m, d, h
    boolean[] seen = new boolean[4];
    int i = 0;
    while (i < s.length()) {
      int start = i;
      while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
        i++;
      }
      if (i == start) {
        throw new IllegalArgumentException(
            "invalid duration \"" + text + "\": expected a number at \"" + s.substring(start)
                + "\" (e.g. 30d, 1y6m, 12h; negative values are not allowed)");
      }
      String digits = s.substring(start, i);
      if (i == s.length()) {
        throw new IllegalArgumentException(
            "invalid duration \"" + text + "\": no unit after " + digits
                + " (use y, m = months, d or h)");
      }
      char unit = s.charAt(i++);
      int slot =
          switch (unit) {
            case 'y' -> 0;
            case 'm' -> 1;
            case 'd' -> 2;
            case 'h' -> 3;
            default ->
                throw new IllegalArgumentException(
                    "invalid duration \"" + text + "\": unknown unit '" + unit + "' after "
                        + digits + " (use y, m = months, d or h; weeks, minutes and seconds are"
                        + " not supported)");
          };
      if (seen[slot]) {
        throw new IllegalArgumentException(
            "invalid duration \"" + text + "\": unit '" + unit + "' given twice");
      }
      seen[slot] = true;
      long value;
      try {
        value = Long.parseLong(digits);
      } catch (NumberFormatException e) {
        value = Long.MAX_VALUE;
      }
      if (value > Integer.MAX_VALUE) {
        throw new IllegalArgumentException(
            "invalid duration \"" + text + "\": " + digits + unit + " is too large");
      }
      parts[slot] = value;
    }
    return new CalendarDuration((int) parts[0], (int) parts[1], (int) parts[2], (int) parts[3]);
  }

  public boolean isZero() {
    return years == 0 && months == 0 && days == 0 && hours == 0;
  }

  /**
   * The instant this duration before {@code latest}, counted on the wall clock of {@code zone}.
   *
   * <p>Follows Go's {@code latest.AddDate(-y, -m, -d).Add(-h * time.Hour)} as restic's forget does:
   * an out-of-range day of month rolls over instead of being clamped (one month before 31 March
   * is 2 or 3 March, not 28/29 February), and a wall-clock time that falls into a DST gap or
   * overlap is resolved the way Go's {@code time.Date} resolves it. A result before the range
   * java.time can represent is {@link Instant#MIN}.
   */
  public Instant subtractFrom(Instant latest, ZoneId zone) {
    try {
      return wallClockMinus(latest, zone);
    } catch (DateTimeException | ArithmeticException e) {
      return Instant.MIN;
    }
  }

  private Instant wallClockMinus(Instant latest, ZoneId zone) {
    ZonedDateTime z = latest.atZone(zone);
    long monthIndex = z.getYear() * 12L + (z.getMonthValue() - 1) - years * 12L - months;
    int year = Math.toIntExact(Math.floorDiv(monthIndex, 12));
    int month = (int) Math.floorMod(monthIndex, 12) + 1;
    LocalDate date = LocalDate.of(year, month, 1).plusDays(z.getDayOfMonth() - 1L - days);
    Instant wallClock = goDate(date.atTime(z.toLocalTime()), zone.getRules());
    return wallClock.minusSeconds(hours * 3600L);
  }

  /**
   * Go's {@code time.Date} resolution of a local time: guess the offset in force at the local
   * time read as UTC, and re-check it once at the resulting instant. In an overlap this picks the
   * later offset (standard time), where java.time would pick the earlier one.
   */
  private static Instant goDate(LocalDateTime local, ZoneRules rules) {
    long localSeconds = local.toEpochSecond(ZoneOffset.UTC);
    ZoneOffset offset = rules.getOffset(Instant.ofEpochSecond(localSeconds));
    long utc = localSeconds - offset.getTotalSeconds();
    ZoneOffset atUtc = rules.getOffset(Instant.ofEpochSecond(utc));
    if (!atUtc.equals(offset)) {
      offset = atUtc;
    }
    return Instant.ofEpochSecond(localSeconds - offset.getTotalSeconds(), local.getNano());
  }

  /** restic's spelling, e.g. {@code 1y6m}, {@code 30d}; {@code 0h} for zero. */
  @Override
  public String toString() {
    var sb = new StringBuilder();
    if (years != 0) sb.append(years).append('y');
    if (months != 0) sb.append(months).append('m');
    if (days != 0) sb.append(days).append('d');
    if (hours != 0) sb.append(hours).append('h');
    return sb.isEmpty() ? "0h" : sb.toString();
  }
}
