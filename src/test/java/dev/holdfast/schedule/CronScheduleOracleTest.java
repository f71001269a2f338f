package dev.holdfast.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * Checks {@link CronSchedule#next} and {@link CronSchedule#latest} against a brute-force model of
 * the DST rule: a wall clock ticks minute by minute through real time, and each matching local
 * minute fires at the first instant the clock shows it or a later time (so skipped minutes fire at
 * the jump, repeated minutes fire on their first pass only). Times are drawn around real zone
 * transitions, including 30-minute (Lord Howe) and whole-day (Apia, 2011) ones.
 */
class CronScheduleOracleTest {
  /** Expressions with an independent predicate on the local time saying when they match. */
  private static final Map<String, Predicate<LocalDateTime>> EXPRESSIONS = Map.of(
      "30 2 * * *", t -> t.getHour() == 2 && t.getMinute() == 30,
      "0 * * * *", t -> t.getMinute() == 0,
      "*/15 * * * *", t -> t.getMinute() % 15 == 0,
      "15,45 1-3 * * *", t -> (t.getMinute() == 15 || t.getMinute() == 45) && t.getHour() >= 1 && t.getHour() <= 3,
      "0 0 * * *", t -> t.getHour() == 0 && t.getMinute() == 0,
      "59 23 * * SUN", t -> t.getHour() == 23 && t.getMinute() == 59 && t.getDayOfWeek().getValue() == 7,
      "* 2 * * *", t -> t.getHour() == 2,
      "0 3 29-31 * *", t -> t.getHour() == 3 && t.getMinute() == 0 && t.getDayOfMonth() >= 29);

  private static final List<ZoneId> ZONES = List.of(
      ZoneId.of("Europe/Berlin"), ZoneId.of("America/New_York"), ZoneId.of("Australia/Lord_Howe"),
      ZoneId.of("Pacific/Apia"), ZoneId.of("America/Sao_Paulo"), ZoneId.of("UTC"));

  @Test
  void nextAndLatestAgreeWithTheWallClockModelAroundTransitions() {
    var random = new Random(20250330L);
    int checked = 0;
    for (ZoneId zone : ZONES) {
      var transitions = new ArrayList<Instant>();
      var rules = zone.getRules();
      var t = rules.nextTransition(Instant.parse("2010-01-01T00:00:00Z"));
      while (t != null && t.getInstant().isBefore(Instant.parse("2027-01-01T00:00:00Z"))) {
        transitions.add(t.getInstant());
        t = rules.nextTransition(t.getInstant());
      }
      if (transitions.isEmpty()) {
        transitions.add(Instant.parse("2025-06-01T00:00:00Z"));
      }
      for (int round = 0; round < 4; round++) {
        Instant center = transitions.get(random.nextInt(transitions.size()));
        Instant from = center.minus(3, ChronoUnit.DAYS);
        Instant to = center.plus(3, ChronoUnit.DAYS);
        for (var e : EXPRESSIONS.entrySet()) {
          var fires = wallClockModel(zone, e.getValue(), from, to);
          var schedule = CronSchedule.parse(e.getKey(), zone);
          for (int probe = 0; probe < 40; probe++) {
            Instant at = center.plusSeconds(random.nextLong(-36 * 3600, 36 * 3600));
            if (probe % 4 == 0) {
              at = center.plusSeconds(60L * random.nextInt(-120, 120)); // on minute boundaries
            }
            var context = e.getKey() + " in " + zone + " at " + at + " (" + at.atZone(zone) + ")";
            Instant next = fires.higher(at);
            if (next != null) {
              assertThat(schedule.next(at)).as("next " + context).contains(next);
            } else { // beyond what the model saw
              assertThat(schedule.next(at).orElseThrow()).as("next " + context).isAfter(fires.isEmpty() ? at : fires.last());
            }
            Instant latest = fires.floor(at);
            if (latest != null) {
              assertThat(schedule.latest(at)).as("latest " + context).contains(latest);
            } else {
              assertThat(schedule.latest(at).orElseThrow()).as("latest " + context).isBefore(fires.isEmpty() ? at : fires.first());
            }
            checked++;
          }
        }
      }
    }
    assertThat(checked).isEqualTo(ZONES.size() * 4 * EXPRESSIONS.size() * 40);
  }

  /** Firing instants in [from + 1 day, to - 1 day] by ticking a wall clock through every minute. */
  private static TreeSet<Instant> wallClockModel(
      ZoneId zone, Predicate<LocalDateTime> matches, Instant from, Instant to) {
    var fires = new TreeSet<Instant>();
    LocalDateTime shown = LocalDateTime.ofInstant(from, zone); // latest wall time shown so far
    for (Instant i = from.plusSeconds(60); !i.isAfter(to); i = i.plusSeconds(60)) {
      LocalDateTime wall = LocalDateTime.ofInstant(i, zone);
      for (LocalDateTime m = shown.plusMinutes(1); !m.isAfter(wall); m = m.plusMinutes(1)) {
        if (matches.test(m)) {
          fires.add(i);
        }
      }
      if (wall.isAfter(shown)) {
        shown = wall;
      }
    }
    // drop the edges, where the model has not seen enough of the past or future
    return new TreeSet<>(fires.subSet(from.plus(1, ChronoUnit.DAYS), true, to.minus(1, ChronoUnit.DAYS), true));
  }
}
