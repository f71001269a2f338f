package dev.holdfast.retention;

import java.util.ArrayList;
import java.util.Objects;

/**
 * Which backups of one group to keep, with the meaning of restic 0.14's {@code forget --keep-*}
 * options: a count of 0 leaves that rule unset, and a zero {@code keepWithin} leaves it unset.
 *
 * <p>Negative counts are rejected. restic 0.14 silently ignores them; restic 0.16 reads -1 as
 * "unlimited" but changed the counting rules at the same time (it also keeps the oldest backup
 * while a count is left), so neither meaning is offered here.
 */
public record RetentionPolicy(
    int keepLast,
    int keepHourly,
    int keepDaily,
    int keepWeekly,
    int keepMonthly,
    int keepYearly,
    CalendarDuration keepWithin) {

  private static final RetentionPolicy NONE =
      new RetentionPolicy(0, 0, 0, 0, 0, 0, CalendarDuration.ZERO);

  public RetentionPolicy {
    requireCount("keepLast", keepLast);
    requireCount("keepHourly", keepHourly);
    requireCount("keepDaily", keepDaily);
    requireCount("keepWeekly", keepWeekly);
    requireCount("keepMonthly", keepMonthly);
    requireCount("keepYearly", keepYearly);
    Objects.requireNonNull(keepWithin, "keepWithin (use CalendarDuration.ZERO for unset)");
  }

  private static void requireCount(String name, int value) {
    if (value < 0) {
      throw new IllegalArgumentException(
          name + " must be 0 (unset) or a positive count, got " + value);
    }
  }

  /** The empty policy: keeps everything. Start here and add rules with the {@code with} methods. */
  public static RetentionPolicy none() {
    return NONE;
  }

  public RetentionPolicy withKeepLast(int n) {
    return new RetentionPolicy(n, keepHourly, keepDaily, keepWeekly, keepMonthly, keepYearly,
        keepWithin);
  }

  public RetentionPolicy withKeepHourly(int n) {
    return new RetentionPolicy(keepLast, n, keepDaily, keepWeekly, keepMonthly, keepYearly,
        keepWithin);
  }

  public RetentionPolicy withKeepDaily(int n) {
    return new RetentionPolicy(keepLast, keepHourly, n, keepWeekly, keepMonthly, keepYearly,
        keepWithin);
  }

  public RetentionPolicy withKeepWeekly(int n) {
    return new RetentionPolicy(keepLast, keepHourly, keepDaily, n, keepMonthly, keepYearly,
        keepWithin);
  }

  public RetentionPolicy withKeepMonthly(int n) {
    return new RetentionPolicy(keepLast, keepHourly, keepDaily, keepWeekly, n, keepYearly,
        keepWithin);
  }

  public RetentionPolicy withKeepYearly(int n) {
    return new RetentionPolicy(keepLast, keepHourly, keepDaily, keepWeekly, keepMonthly, n,
        keepWithin);
  }

  public RetentionPolicy withKeepWithin(CalendarDuration d) {
    return new RetentionPolicy(keepLast, keepHourly, keepDaily, keepWeekly, keepMonthly,
        keepYearly, d);
  }

  /** Same as {@code withKeepWithin(CalendarDuration.parse(d))}, e.g. {@code "30d"}. */
  public RetentionPolicy withKeepWithin(String d) {
    return withKeepWithin(CalendarDuration.parse(d));
  }

  /** True when no rule is set; planning with it keeps every backup (restic removes nothing). */
  public boolean isEmpty() {
    return equals(NONE);
  }

  /** The count for one periodic rule (0 = unset). */
  public int count(KeepReason rule) {
    return switch (rule) {
      case LAST -> keepLast;
      case HOURLY -> keepHourly;
      case DAILY -> keepDaily;
      case WEEKLY -> keepWeekly;
      case MONTHLY -> keepMonthly;
      case YEARLY -> keepYearly;
      case WITHIN, NEWEST, POLICY_EMPTY ->
          throw new IllegalArgumentException(rule + " is not a counted rule");
    };
  }

  /** A sentence for logs and dry runs, e.g. "keep 7 daily, 4 weekly and all within 30d of the newest". */
  public String describe() {
    if (isEmpty()) {
      return "no retention rule set: keep everything";
    }
    var parts = new ArrayList<String>();
    for (KeepReason rule : KeepReason.COUNTED) {
      int n = count(rule);
      if (n > 0) {
        parts.add(n + " " + rule.label());
      }
    }
    var s = new StringBuilder("keep ").append(String.join(", ", parts));
    if (!keepWithin.isZero()) {
      s.append(parts.isEmpty() ? "" : " and ")
          .append("all within ").append(keepWithin).append(" of the newest");
    }
    return s.toString();
  }
}
