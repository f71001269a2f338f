package dev.holdfast.retention;

import static org.assertj.core.api.Assertions.assertThat;

import dev.holdfast.retention.Plan.Decision;
import dev.holdfast.retention.RetentionPlanner.Item;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.IsoFields;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Properties over random timelines and policies (seeded, so a failure names a reproducible case):
 * timelines of 1-80 backups over up to 3 years, clustered so that many share an hour, a day or
 * even an instant, planned in zones with DST (including Lord Howe's 30-minute shift).
 */
class RetentionPlannerPropertyTest {

  private static final int CASES = 3_000;
  private static final List<ZoneId> ZONES = List.of(ZoneOffset.UTC, ZoneId.of("Europe/Berlin"),
      ZoneId.of("America/New_York"), ZoneId.of("Australia/Lord_Howe"), ZoneId.of("Asia/Kolkata"));
  private static final Instant START = Instant.parse("2019-11-01T00:00:00Z");

  @Test
  void theNewestBackupIsNeverRemoved() {
    forEachCase((r, c) -> {
      Item newest = c.items.stream()
          .min(Comparator.comparing(Item::time).reversed().thenComparing(Item::id))
          .orElseThrow();
      var plan = RetentionPlanner.plan(c.items, c.policy, c.zone);
      assertThat(plan.decisions().get(0).item()).as(c.toString()).isEqualTo(newest);
      assertThat(plan.decisions().get(0).keep()).as(c.toString()).isTrue();
    });
  }

  @Test
  void keepAndRemovePartitionTheInput() {
    forEachCase((r, c) -> {
      var plan = RetentionPlanner.plan(c.items, c.policy, c.zone);
      assertThat(plan.decisions()).as(c.toString()).hasSameSizeAs(c.items);
      assertThat(plan.keep().size() + plan.remove().size()).isEqualTo(c.items.size());
      var union = new ArrayList<>(plan.keep());
      union.addAll(plan.remove());
      assertThat(union).as(c.toString()).containsExactlyInAnyOrderElementsOf(c.items);
    });
  }

  @Test
  void thePlanDoesNotDependOnInputOrder() {
    forEachCase((r, c) -> {
      var shuffled = new ArrayList<>(c.items);
      Collections.shuffle(shuffled, r);
      assertThat(RetentionPlanner.plan(shuffled, c.policy, c.zone))
          .as(c.toString())
          .isEqualTo(RetentionPlanner.plan(c.items, c.policy, c.zone));
    });
  }

  @Test
  void addingARuleOrRaisingACountNeverRemovesMore() {
    forEachCase((r, c) -> {
      if (c.policy.isEmpty()) {
        return; // the empty policy keeps everything; any rule makes it remove
      }
      RetentionPolicy looser = loosen(c.policy, r);
      var before = Set.copyOf(RetentionPlanner.plan(c.items, c.policy, c.zone).keep());
      var after = Set.copyOf(RetentionPlanner.plan(c.items, looser, c.zone).keep());
      assertThat(after).as(c + " loosened to " + looser).containsAll(before);
    });
  }

  @Test
  void aCombinedPolicyKeepsTheUnionOfItsRulesAlone() {
    forEachCase((r, c) -> {
      if (c.policy.isEmpty()) {
        return;
      }
      var union = new HashSet<Item>();
      for (RetentionPolicy single : singleRules(c.policy)) {
        union.addAll(RetentionPlanner.plan(c.items, single, c.zone).keep());
      }
      assertThat(Set.copyOf(RetentionPlanner.plan(c.items, c.policy, c.zone).keep()))
          .as(c.toString())
          .isEqualTo(union);
    });
  }

  @Test
  void aCountedRuleAloneKeepsTheNewestBackupOfEachOfItsNNewestPeriods() {
    forEachCase((r, c) -> {
      KeepReason rule = KeepReason.COUNTED.get(r.nextInt(KeepReason.COUNTED.size()));
      int n = 1 + r.nextInt(12);
      var policy = withCount(RetentionPolicy.none(), rule, n);

      // Independent oracle: walk newest first, remember the periods seen so far.
      var sorted = c.items.stream()
          .sorted(Comparator.comparing(Item::time).reversed().thenComparing(Item::id))
          .toList();
      var periods = new LinkedHashSet<String>();
      var expected = new ArrayList<Item>();
      for (int i = 0; i < sorted.size(); i++) {
        String p = periodOf(rule, sorted.get(i).time().atZone(c.zone), i);
        if (periods.size() < n && periods.add(p)) {
          expected.add(sorted.get(i));
        }
      }
      var plan = RetentionPlanner.plan(c.items, policy, c.zone);
      assertThat(plan.keep()).as(c + " with " + rule + " " + n).isEqualTo(expected);
      assertThat(plan.decisions().stream().filter(Decision::keep))
          .allSatisfy(d -> assertThat(d.reasons()).containsExactly(rule));
    });
  }

  @Test
  void withinAloneKeepsExactlyTheBackupsAfterTheCutoff() {
    forEachCase((r, c) -> {
      var d = new CalendarDuration(r.nextInt(2), r.nextInt(13), r.nextInt(40), r.nextInt(48));
      if (d.isZero()) {
        return;
      }
      Instant newest = c.items.stream().map(Item::time).max(Comparator.naturalOrder()).orElseThrow();
      Instant cutoff = d.subtractFrom(newest, c.zone);
      var plan = RetentionPlanner.plan(c.items, RetentionPolicy.none().withKeepWithin(d), c.zone);
      for (Decision decision : plan.decisions()) {
        assertThat(decision.keep()).as(c + " within " + d + " at " + decision.item())
            .isEqualTo(decision.item().time().isAfter(cutoff));
      }
      assertThat(cutoff).isBefore(newest);
    });
  }

  @Test
  void countedRulesNeverKeepMoreThanTheSumOfTheirCounts() {
    forEachCase((r, c) -> {
      if (!c.policy.keepWithin().isZero() || c.policy.isEmpty()) {
        return;
      }
      int sum = KeepReason.COUNTED.stream().mapToInt(c.policy::count).sum();
      assertThat(RetentionPlanner.plan(c.items, c.policy, c.zone).keep())
          .as(c.toString()).hasSizeLessThanOrEqualTo(sum);
    });
  }

  @FunctionalInterface
  private interface Property {
    void check(Random r, Case c);
  }

  // --- generators ----------------------------------------------------------------------------

  record Case(long seed, List<Item> items, RetentionPolicy policy, ZoneId zone) {
    @Override
    public String toString() {
      return "case seed " + seed + " (" + items.size() + " backups, " + policy + ", " + zone + ")";
    }
  }

  private static void forEachCase(Property property) {
    for (int i = 0; i < CASES; i++) {
      long seed = 0x5EED_0000L + i;
      var r = new Random(seed);
      property.check(r, new Case(seed, timeline(r), policy(r), ZONES.get(r.nextInt(ZONES.size()))));
    }
  }

  private static List<Item> timeline(Random r) {
    int n = 1 + r.nextInt(80);
    // Spacing scale: minutes (same hour), hours (same day), days, or weeks.
    long[] scales = {60, 3_600, 86_400, 7 * 86_400};
    long scale = scales[r.nextInt(scales.length)];
    var items = new ArrayList<Item>(n);
    Instant t = START.plusSeconds(r.nextInt(400 * 86_400));
    for (int i = 0; i < n; i++) {
      int kind = r.nextInt(10);
      if (kind > 0) { // 1 in 10 shares the previous instant exactly
        t = t.plusSeconds(1 + (long) (r.nextDouble() * scale * 2));
      }
      items.add(new Item("b" + i, t));
    }
    return items;
  }

  private static RetentionPolicy policy(Random r) {
    var p = RetentionPolicy.none();
    for (KeepReason rule : KeepReason.COUNTED) {
      if (r.nextInt(3) == 0) {
        p = withCount(p, rule, 1 + r.nextInt(10));
      }
    }
    if (r.nextInt(4) == 0) {
      p = p.withKeepWithin(new CalendarDuration(0, r.nextInt(3), r.nextInt(20), r.nextInt(30)));
    }
    return p;
  }

  private static RetentionPolicy loosen(RetentionPolicy p, Random r) {
    int which = r.nextInt(KeepReason.COUNTED.size() + 1);
    if (which == KeepReason.COUNTED.size()) {
      var d = p.keepWithin();
      return switch (r.nextInt(4)) {
        case 0 -> p.withKeepWithin(new CalendarDuration(d.years() + 1, d.months(), d.days(), d.hours()));
        case 1 -> p.withKeepWithin(new CalendarDuration(d.years(), d.months() + 1, d.days(), d.hours()));
        case 2 -> p.withKeepWithin(new CalendarDuration(d.years(), d.months(), d.days() + 1, d.hours()));
        default -> p.withKeepWithin(new CalendarDuration(d.years(), d.months(), d.days(), d.hours() + 1));
      };
    }
    KeepReason rule = KeepReason.COUNTED.get(which);
    return withCount(p, rule, p.count(rule) + 1 + r.nextInt(5));
  }

  private static List<RetentionPolicy> singleRules(RetentionPolicy p) {
    var out = new ArrayList<RetentionPolicy>();
    for (KeepReason rule : KeepReason.COUNTED) {
      if (p.count(rule) > 0) {
        out.add(withCount(RetentionPolicy.none(), rule, p.count(rule)));
      }
    }
    if (!p.keepWithin().isZero()) {
      out.add(RetentionPolicy.none().withKeepWithin(p.keepWithin()));
    }
    return out;
  }

  private static RetentionPolicy withCount(RetentionPolicy p, KeepReason rule, int n) {
    return switch (rule) {
      case LAST -> p.withKeepLast(n);
      case HOURLY -> p.withKeepHourly(n);
      case DAILY -> p.withKeepDaily(n);
      case WEEKLY -> p.withKeepWeekly(n);
      case MONTHLY -> p.withKeepMonthly(n);
      case YEARLY -> p.withKeepYearly(n);
      default -> throw new IllegalArgumentException(rule.toString());
    };
  }

  /** Periods spelled as text, unlike the planner's numbers, to keep the oracle independent. */
  private static String periodOf(KeepReason rule, ZonedDateTime t, int index) {
    return switch (rule) {
      case LAST -> "#" + index;
      case HOURLY -> t.toLocalDate() + "T" + t.getHour();
      case DAILY -> t.toLocalDate().toString();
      case WEEKLY -> t.get(IsoFields.WEEK_BASED_YEAR) + "-W" + t.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR);
      case MONTHLY -> t.getYear() + "-" + t.getMonthValue();
      case YEARLY -> Integer.toString(t.getYear());
      default -> throw new IllegalArgumentException(rule.toString());
    };
  }
}
