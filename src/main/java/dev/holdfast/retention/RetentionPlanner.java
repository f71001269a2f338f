package dev.holdfast.retention;

import dev.holdfast.retention.Plan.Decision;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.temporal.IsoFields;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Decides which backups of one group a {@link RetentionPolicy} keeps, with the semantics of
 * restic 0.14's {@code forget} (restic's {@code internal/restic/snapshot_policy.go},
 * {@code ApplyPolicy}), plus one safety rule of ours: the newest backup is never removed.
 *
 * <p>The backups are walked newest first. A backup within {@code keepWithin} of the newest one is
 * kept. For each counted rule with a count left, a backup whose period (its index for
 * {@code keepLast}; hour, day, ISO week, month or year on the wall clock of the zone) differs from
 * the period of the last backup that rule kept is kept by that rule and uses up one count. So
 * every rule keeps the newest backup of each of its N newest periods, every rule is evaluated for
 * every backup, and a backup already kept by another rule still uses up a count.
 */
public final class RetentionPlanner {

  private RetentionPlanner() {}

  /** A backup as the planner sees it: a unique id and the time it was taken. */
  public record Item(String id, Instant time) {
    public Item {
      Objects.requireNonNull(id, "id");
      Objects.requireNonNull(time, "time");
      if (id.isBlank()) {
        throw new IllegalArgumentException("backup id must not be blank");
      }
    }
  }

  /**
   * Plans one group. {@code keepWithin} counts back from the newest backup's time.
   *
   * @param zone whose wall clock defines hours, days, weeks, months and years
   */
  public static Plan plan(List<Item> backups, RetentionPolicy policy, ZoneId zone) {
    return planAt(backups, policy, zone, null);
  }

  /**
   * Plans one group exactly as restic does at time {@code now}: {@code keepWithin} counts back from
   * the newest backup that is strictly before {@code now}, so a backup with a clock-skewed future
   * time cannot shift the window. If every backup is in the future, all are within.
   */
  public static Plan plan(List<Item> backups, RetentionPolicy policy, ZoneId zone, Instant now) {
    return planAt(backups, policy, zone, Objects.requireNonNull(now, "now"));
  }

  /**
   * Splits backups into groups by key (e.g. host and job), keys in ascending order, each group in
   * input order. Apply a policy to each group separately.
   */
  public static <T> SortedMap<String, List<T>> group(
      Collection<T> backups, Function<? super T, String> key) {
    var groups = new TreeMap<String, List<T>>();
    for (T backup : backups) {
      String k = Objects.requireNonNull(key.apply(backup), () -> "group key of " + backup);
      groups.computeIfAbsent(k, x -> new ArrayList<>()).add(backup);
    }
    return groups;
  }

  private static Plan planAt(List<Item> backups, RetentionPolicy policy, ZoneId zone, Instant now) {
    Objects.requireNonNull(policy, "policy");
    Objects.requireNonNull(zone, "zone");
    List<Item> sorted = newestFirst(backups);
    if (policy.isEmpty()) {
      return new Plan(
          policy,
          sorted.stream().map(b -> new Decision(b, List.of(KeepReason.POLICY_EMPTY))).toList());
    }

    boolean within = !policy.keepWithin().isZero();
    Instant cutoff = within ? withinCutoff(sorted, policy, zone, now) : null;
    List<KeepReason> counted =
        KeepReason.COUNTED.stream().filter(r -> policy.count(r) > 0).toList();
    int[] left = counted.stream().mapToInt(policy::count).toArray();
    long[] lastKept = new long[counted.size()];
    boolean[] keptAny = new boolean[counted.size()];

    var decisions = new ArrayList<Decision>(sorted.size());
    for (int nr = 0; nr < sorted.size(); nr++) {
      Item backup = sorted.get(nr);
      var reasons = new ArrayList<KeepReason>();
      if (within && (cutoff == null || backup.time().isAfter(cutoff))) {
        reasons.add(KeepReason.WITHIN);
      }
      ZonedDateTime wallClock = backup.time().atZone(zone);
      for (int i = 0; i < counted.size(); i++) {
        if (left[i] == 0) {
          continue;
        }
        long period = period(counted.get(i), wallClock, nr);
        if (!keptAny[i] || period != lastKept[i]) {
          keptAny[i] = true;
          lastKept[i] = period;
          left[i]--;
          reasons.add(counted.get(i));
        }
      }
      if (nr == 0 && reasons.isEmpty()) {
        reasons.add(KeepReason.NEWEST);
      }
      decisions.add(new Decision(backup, reasons));
    }
    return new Plan(policy, decisions);
  }

  /** Newest first; equal times by id, so the plan does not depend on the input order. */
  private static List<Item> newestFirst(List<Item> backups) {
    var ids = new HashSet<String>();
    for (Item b : backups) {
      if (!ids.add(b.id())) {
        throw new IllegalArgumentException("backup id " + b.id() + " appears more than once");
      }
    }
    return backups.stream()
        .sorted(Comparator.comparing(Item::time).reversed().thenComparing(Item::id))
        .toList();
  }

  /** Null when every backup is within (restic measures from time zero if all are in the future). */
  private static Instant withinCutoff(
      List<Item> newestFirst, RetentionPolicy policy, ZoneId zone, Instant now) {
    for (Item b : newestFirst) {
      if (now == null || b.time().isBefore(now)) {
        return policy.keepWithin().subtractFrom(b.time(), zone);
      }
    }
    return null;
  }

  /** The period value restic compares: index, YYYYMMDDHH, YYYYMMDD, ISO YYYYWW, YYYYMM or YYYY. */
  private static long period(KeepReason rule, ZonedDateTime t, int index) {
    long y = t.getYear();
    return switch (rule) {
      case LAST -> index;
      case HOURLY -> y * 1_000_000 + t.getMonthValue() * 10_000 + t.getDayOfMonth() * 100
          + t.getHour();
      case DAILY -> y * 10_000 + t.getMonthValue() * 100 + t.getDayOfMonth();
      case WEEKLY -> t.get(IsoFields.WEEK_BASED_YEAR) * 100L
          + t.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR);
      case MONTHLY -> y * 100 + t.getMonthValue();
      case YEARLY -> y;
      case WITHIN, NEWEST, POLICY_EMPTY -> throw new AssertionError(rule);
    };
  }
}
