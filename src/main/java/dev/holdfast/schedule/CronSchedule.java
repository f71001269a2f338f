package dev.holdfast.schedule;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.time.zone.ZoneOffsetTransition;
import java.time.zone.ZoneRules;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A 5-field cron schedule (minute hour day-of-month month day-of-week, as in crontab(5) of
 * Vixie cron and cronie) or one of the nicknames {@code @hourly @daily @midnight @weekly @monthly
 * @yearly @annually}, evaluated on the wall clock of one time zone.
 *
 * <p>Syntax: {@code *}, numbers, ranges {@code a-b}, lists {@code a,b}, steps {@code a-b/n} and
 * {@code *}{@code /n}, three-letter month and day names ({@code JAN}, {@code MON}), day-of-week 0
 * and 7 both Sunday. Day matching follows Vixie cron: when both day-of-month and day-of-week are
 * restricted (neither field starts with {@code *}) a day matches if <em>either</em> does;
 * otherwise both must match.
 *
 * <p>Daylight saving time: each matching wall-clock time fires once, at the first instant the
 * clock shows that time or a later one. So a time skipped by a spring-forward change fires right
 * after the gap, at the instant of the jump (coalesced with any slot there), as cronie does for
 * fixed-time jobs (cron(8), "Daylight Saving Time and other time changes"); a time shown twice in
 * autumn fires once, on its first pass, as both cronie and systemd do. {@code 30 2 * * *} in
 * Europe/Berlin runs at 03:00 CEST on the spring-forward day and once at 02:30 CEST on the
 * fall-back day; {@code 0 * * * *} runs at 01:00 CET then 03:00 CEST in spring, and at 01:00 CEST,
 * 02:00 CEST, 03:00 CET in autumn. Unlike cronie, jobs with {@code *} in the hour are not treated
 * differently: one rule for every expression. The firing time is thus monotonic in the local time,
 * which {@link #next} and {@link #latest} rely on.
 */
public final class CronSchedule {
  /** The fields of a cron line, with their names as used in error messages. */
  enum Field {
    MINUTE("minute", 0, 59),
    HOUR("hour", 0, 23),
    DAY_OF_MONTH("day-of-month", 1, 31),
    MONTH("month", 1, 12),
    DAY_OF_WEEK("day-of-week", 0, 7);

    final String label;
    final int min;
    final int max;

    Field(String label, int min, int max) {
      this.label = label;
      this.min = min;
      this.max = max;
    }
  }

  private static final Map<String, String> NICKNAMES =
      Map.of(
          "@hourly", "0 * * * *",
          "@daily", "0 0 * * *",
          "@midnight", "0 0 * * *",
          "@weekly", "0 0 * * 0",
          "@monthly", "0 0 1 * *",
          "@yearly", "0 0 1 1 *",
          "@annually", "0 0 1 1 *");

  private static final String[] MONTH_NAMES = {
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"
  };
  private static final String[] DAY_NAMES = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};
  private static final int[] MAX_DAYS_IN_MONTH = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

  /** Every valid expression matches within 8 years (Feb 29 across a century); be generous. */
  private static final int SEARCH_YEARS = 400;

  private final String expression;
  private final ZoneId zone;
  private final boolean zoneGiven;
  private final long minutes;
  private final long hours;
  private final long daysOfMonth;
  private final long months;
  private final long daysOfWeek;
  private final boolean dayOfMonthStar;
  private final boolean dayOfWeekStar;
  private final int[] hourList;
  private final int[] minuteList;

  private CronSchedule(String expression, ZoneId zone, boolean zoneGiven, long[] masks, boolean[] stars) {
    this.expression = expression;
    this.zone = zone;
    this.zoneGiven = zoneGiven;
    this.minutes = masks[0];
    this.hours = masks[1];
    this.daysOfMonth = masks[2];
    this.months = masks[3];
    this.daysOfWeek = masks[4];
    this.dayOfMonthStar = stars[2];
    this.dayOfWeekStar = stars[4];
    this.hourList = bits(hours);
    this.minuteList = bits(minutes);
  }

  /** Parses {@code expression}, evaluated in {@code zone}; the zone is part of the schedule. */
  public static CronSchedule parse(String expression, ZoneId zone) {
    return parse(expression, Objects.requireNonNull(zone, "zone"), true);
  }

  /** Parses {@code expression}, evaluated in the host's time zone (none is written to units). */
  public static CronSchedule parse(String expression) {
    return parse(expression, ZoneId.systemDefault(), false);
  }

  private static CronSchedule parse(String expression, ZoneId zone, boolean zoneGiven) {
    Objects.requireNonNull(expression, "expression");
    String normalized = expression.strip().replaceAll("\\s+", " ");
    if (normalized.isEmpty()) {
      throw new CronSyntaxException(expression, "the cron expression is empty");
    }
    String fieldsText = normalized;
    if (normalized.startsWith("@")) {
      String nickname = normalized.toLowerCase(Locale.ROOT);
      if (nickname.equals("@reboot")) {
        throw new CronSyntaxException(
            expression, "'@reboot' is not a time schedule; use a cron expression or a nickname such as @daily");
      }
      fieldsText = NICKNAMES.get(nickname);
      if (fieldsText == null) {
        throw new CronSyntaxException(
            expression,
            "unknown nickname '" + normalized
                + "'; known: @hourly, @daily, @midnight, @weekly, @monthly, @yearly, @annually");
      }
      normalized = nickname;
    }
    String[] parts = fieldsText.split(" ");
    if (parts.length != 5) {
      String hint = parts.length == 6 || parts.length == 7
          ? "; seconds and years (Quartz, Spring) are not supported"
          : "";
      throw new CronSyntaxException(
          expression,
          "expected 5 fields (minute hour day-of-month month day-of-week) but found "
              + parts.length + hint);
    }
    Field[] fields = Field.values();
    long[] masks = new long[5];
    boolean[] stars = new boolean[5];
    for (int i = 0; i < 5; i++) {
      masks[i] = parseField(expression, fields[i], parts[i]);
      stars[i] = parts[i].startsWith("*");
    }
    if ((masks[4] & (1L << 7)) != 0) {
      masks[4] = (masks[4] & ~(1L << 7)) | 1L; // 7 is Sunday, like 0
    }
    if (stars[2] || stars[4]) {
      requireDayOfMonthPossible(expression, masks[2], masks[3], parts[2], parts[3]);
    }
    return new CronSchedule(normalized, zone, zoneGiven, masks, stars);
  }

  /** With day-of-month ANDed, a day-of-month that no selected month has would never fire. */
  private static void requireDayOfMonthPossible(
      String expression, long dom, long month, String domText, String monthText) {
    for (int m = 1; m <= 12; m++) {
      if ((month & (1L << m)) != 0 && Long.numberOfTrailingZeros(dom) <= MAX_DAYS_IN_MONTH[m]) {
        return;
      }
    }
    throw new CronSyntaxException(
        expression, "day-of-month: '" + domText + "' never occurs in month '" + monthText + "'");
  }

  private static long parseField(String expression, Field field, String text) {
    long mask = 0;
    for (String part : text.split(",", -1)) {
      if (part.isEmpty()) {
        throw error(expression, field, "'" + text + "' has an empty list element");
      }
      String range = part;
      int step = 1;
      int slash = part.indexOf('/');
      if (slash >= 0) {
        range = part.substring(0, slash);
        String stepText = part.substring(slash + 1);
        if (!stepText.matches("\\d{1,4}")) {
          throw error(expression, field, "'" + part + "' has step '" + stepText + "', which is not a number");
        }
        step = Integer.parseInt(stepText);
        if (step < 1 || step > field.max) {
          throw error(expression, field, "'" + part + "' has step " + step + ", out of range 1-" + field.max);
        }
      }
      int lo;
      int hi;
      if (range.equals("*")) {
        lo = field.min;
        hi = field.max;
      } else {
        int dash = range.indexOf('-', 1);
        if (dash > 0) {
          lo = value(expression, field, range.substring(0, dash));
          hi = value(expression, field, range.substring(dash + 1));
          if (lo > hi) {
            throw error(expression, field,
                "'" + range + "' is a descending range; ranges go from low to high, so write it as a list: '"
                    + range.substring(0, dash) + "-" + field.max + "," + field.min + "-" + range.substring(dash + 1) + "'");
          }
        } else {
          lo = value(expression, field, range);
          hi = lo;
          if (slash >= 0) {
            throw error(expression, field,
                "'" + part + "' has a step but no range; write '" + range + "-" + field.max + "/" + step + "'");
          }
        }
      }
      for (int v = lo; v <= hi; v += step) {
        mask |= 1L << v;
      }
    }
    return mask;
  }

  private static int value(String expression, Field field, String token) {
    if (token.matches("\\d{1,9}")) {
      int v = Integer.parseInt(token);
      if (v < field.min || v > field.max) {
        throw error(expression, field, "'" + token + "' is out of range " + field.min + "-" + field.max);
      }
      return v;
    }
    String upper = token.toUpperCase(Locale.ROOT);
    if (field == Field.MONTH) {
      for (int i = 0; i < MONTH_NAMES.length; i++) {
        if (MONTH_NAMES[i].equals(upper)) {
          return i + 1;
        }
      }
      throw error(expression, field, "'" + token + "' is not a number or a month name (JAN-DEC)");
    }
    if (field == Field.DAY_OF_WEEK) {
      for (int i = 0; i < DAY_NAMES.length; i++) {
        if (DAY_NAMES[i].equals(upper)) {
          return i;
        }
      }
      throw error(expression, field, "'" + token + "' is not a number or a day name (SUN-SAT)");
    }
    String quartz = token.matches(".*[?LW#].*") ? " ('?', 'L', 'W' and '#' are Quartz syntax, not cron)" : "";
    throw error(expression, field, "'" + token + "' is not a number" + quartz);
  }

  private static CronSyntaxException error(String expression, Field field, String problem) {
    return new CronSyntaxException(expression, field.label + ": " + problem);
  }

  /** The expression as normalized: single spaces, nicknames lower case. */
  public String expression() {
    return expression;
  }

  /** The zone the schedule is evaluated in: the one given, or the host's at parse time. */
  public ZoneId zone() {
    return zone;
  }

  /** The zone given explicitly when parsing; empty when the schedule follows the host's zone. */
  public Optional<ZoneId> timeZone() {
    return zoneGiven ? Optional.of(zone) : Optional.empty();
  }

  /** The first firing strictly after {@code after}, in {@link #zone()}; empty if it never fires. */
  public Optional<ZonedDateTime> next(ZonedDateTime after) {
    return next(after.toInstant()).map(i -> i.atZone(zone));
  }

  /** The first firing strictly after {@code after}; empty if it never fires. */
  public Optional<Instant> next(Instant after) {
    // A matching local time L fires after `after` only if L is later than after's local time
    // (the firing map is monotonic and a repeated hour fires at its first occurrence).
    LocalDateTime start =
        LocalDateTime.ofInstant(after, zone).truncatedTo(ChronoUnit.MINUTES).plusMinutes(1);
    ZoneRules rules = zone.getRules();
    LocalDate date = start.toLocalDate();
    LocalDate limit = date.plusYears(SEARCH_YEARS);
    int fromMinute = start.getHour() * 60 + start.getMinute();
    while (date.isBefore(limit)) {
      if ((months & (1L << date.getMonthValue())) == 0) {
        date = date.withDayOfMonth(1).plusMonths(1);
        fromMinute = 0;
        continue;
      }
      if (dayMatches(date)) {
        for (int h : hourList) {
          if (h * 60 + 59 < fromMinute) {
            continue;
          }
          for (int m : minuteList) {
            if (h * 60 + m < fromMinute) {
              continue;
            }
            Instant fire = fireInstant(rules, date.atTime(h, m));
            if (fire.isAfter(after)) {
              return Optional.of(fire);
            }
          }
        }
      }
      date = date.plusDays(1);
      fromMinute = 0;
    }
    return Optional.empty();
  }

  /**
   * The most recent firing at or before {@code notAfter}, in {@link #zone()}: the slot a
   * catch-up run stands for. Empty if it never fired in the searched past.
   */
  public Optional<ZonedDateTime> latest(ZonedDateTime notAfter) {
    return latest(notAfter.toInstant()).map(i -> i.atZone(zone));
  }

  /** The most recent firing at or before {@code notAfter}; empty if none in the searched past. */
  public Optional<Instant> latest(Instant notAfter) {
    ZoneRules rules = zone.getRules();
    LocalDateTime upper = latestWallTime(rules, notAfter).truncatedTo(ChronoUnit.MINUTES);
    LocalDate date = upper.toLocalDate();
    LocalDate limit = date.minusYears(SEARCH_YEARS);
    int toMinute = upper.getHour() * 60 + upper.getMinute();
    while (date.isAfter(limit)) {
      if ((months & (1L << date.getMonthValue())) == 0) {
        date = date.withDayOfMonth(1).minusDays(1);
        toMinute = 24 * 60;
        continue;
      }
      if (dayMatches(date)) {
        for (int hi = hourList.length - 1; hi >= 0; hi--) {
          int h = hourList[hi];
          if (h * 60 > toMinute) {
            continue;
          }
          for (int mi = minuteList.length - 1; mi >= 0; mi--) {
            int m = minuteList[mi];
            if (h * 60 + m > toMinute) {
              continue;
            }
            Instant fire = fireInstant(rules, date.atTime(h, m));
            if (!fire.isAfter(notAfter)) {
              return Optional.of(fire);
            }
          }
        }
      }
      date = date.minusDays(1);
      toMinute = 24 * 60;
    }
    return Optional.empty();
  }

  /**
   * The latest wall-clock time shown at any instant up to {@code at}: after a fall-back change
   * the clock has already shown later local times than it shows now.
   */
  private static LocalDateTime latestWallTime(ZoneRules rules, Instant at) {
    LocalDateTime upper = LocalDateTime.ofInstant(at, rules.getOffset(at));
    Instant window = at.minus(2, ChronoUnit.DAYS);
    ZoneOffsetTransition t = rules.previousTransition(at.plusSeconds(1));
    while (t != null && t.getInstant().isAfter(window)) {
      if (t.isOverlap() && t.getDateTimeBefore().isAfter(upper)) {
        upper = t.getDateTimeBefore();
      }
      t = rules.previousTransition(t.getInstant());
    }
    return upper;
  }

  /** Where a matching local time fires: gap times at the jump, repeated times at the first. */
  private static Instant fireInstant(ZoneRules rules, LocalDateTime local) {
    ZoneOffsetTransition transition = rules.getTransition(local);
    if (transition != null && transition.isGap()) {
      return transition.getInstant();
    }
    return local.toInstant(rules.getValidOffsets(local).get(0));
  }

  boolean dayMatches(LocalDate date) {
    if ((months & (1L << date.getMonthValue())) == 0) {
      return false;
    }
    boolean dom = (daysOfMonth & (1L << date.getDayOfMonth())) != 0;
    boolean dow = (daysOfWeek & (1L << (date.getDayOfWeek().getValue() % 7))) != 0;
    return dayOfMonthStar || dayOfWeekStar ? dom && dow : dom || dow;
  }

  long minuteMask() {
    return minutes;
  }

  long hourMask() {
    return hours;
  }

  long dayOfMonthMask() {
    return daysOfMonth;
  }

  long monthMask() {
    return months;
  }

  /** Bit 0 is Sunday ... bit 6 Saturday. */
  long dayOfWeekMask() {
    return daysOfWeek;
  }

  /** Both day fields restricted: a day matches when either matches (Vixie cron). */
  boolean daysOred() {
    return !dayOfMonthStar && !dayOfWeekStar;
  }

  static DayOfWeek dayOfWeek(int cronDay) {
    return DayOfWeek.of(cronDay == 0 ? 7 : cronDay);
  }

  private static int[] bits(long mask) {
    int[] out = new int[Long.bitCount(mask)];
    int i = 0;
    for (long m = mask; m != 0; m &= m - 1) {
      out[i++] = Long.numberOfTrailingZeros(m);
    }
    return out;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CronSchedule c
        && c.expression.equals(expression)
        && c.zone.equals(zone)
        && c.zoneGiven == zoneGiven;
  }

  @Override
  public int hashCode() {
    return Objects.hash(expression, zone, zoneGiven);
  }

  @Override
  public String toString() {
    return zoneGiven ? expression + " (" + zone.getId() + ")" : expression;
  }
}
