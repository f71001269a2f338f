package dev.holdfast.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.holdfast.schedule.Due.Kind;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SchedulerTest {
  static final ZoneId UTC = ZoneOffset.UTC;
  static final SplittableRandom NO_RANDOM = new SplittableRandom(0);

  static Instant at(String utc) {
    return Instant.parse(utc + ":00Z");
  }

  static ScheduledJob job(String name, String cron) {
    return new ScheduledJob(name, CronSchedule.parse(cron, UTC));
  }

  @Test
  void runsOnTimeAndOnlyOncePerSlot() {
    var s = new Scheduler(List.of(job("nightly", "0 3 * * *")), Map.of("nightly", at("2025-01-01T03:00")), NO_RANDOM);
    assertThat(s.due(at("2025-01-02T02:59"))).isEmpty();
    assertThat(s.nextWakeup(at("2025-01-02T02:59"))).contains(at("2025-01-02T03:00"));

    assertThat(s.due(at("2025-01-02T03:00")))
        .containsExactly(new Due("nightly", at("2025-01-02T03:00"), at("2025-01-02T03:00"), Kind.ON_TIME));
    assertThat(s.runningSince("nightly")).contains(at("2025-01-02T03:00"));
    assertThat(s.due(at("2025-01-02T03:01"))).as("claimed: not handed out twice").isEmpty();

    s.finished("nightly", at("2025-01-02T03:20"));
    assertThat(s.runningSince("nightly")).isEmpty();
    assertThat(s.lastStart("nightly")).contains(at("2025-01-02T03:00"));
    assertThat(s.due(at("2025-01-02T03:21"))).isEmpty();
    assertThat(s.nextWakeup(at("2025-01-02T03:21"))).contains(at("2025-01-03T03:00"));
  }

  @Test
  void daemonDownForThreeDaysCatchesUpExactlyOnce() {
    var s = new Scheduler(List.of(job("nightly", "0 3 * * *")), Map.of("nightly", at("2025-01-01T03:00")), NO_RANDOM);
    Instant back = at("2025-01-04T12:00"); // missed the 2nd, 3rd and 4th
    assertThat(s.nextWakeup(back)).contains(back);
    assertThat(s.due(back))
        .containsExactly(new Due("nightly", at("2025-01-04T03:00"), back, Kind.CATCH_UP));
    s.finished("nightly", at("2025-01-04T12:30"));
    assertThat(s.due(at("2025-01-04T12:31"))).isEmpty();
    assertThat(s.due(at("2025-01-04T23:59"))).isEmpty();
    assertThat(s.due(at("2025-01-05T03:00"))).extracting(Due::kind).containsExactly(Kind.ON_TIME);
  }

  @Test
  void downButNoSlotMissedMeansNoCatchUp() {
    var s = new Scheduler(List.of(job("nightly", "0 3 * * *")), Map.of("nightly", at("2025-01-04T03:00")), NO_RANDOM);
    assertThat(s.due(at("2025-01-04T12:00"))).isEmpty();
    assertThat(s.nextWakeup(at("2025-01-04T12:00"))).contains(at("2025-01-05T03:00"));
  }

  @Test
  void aJobWithoutHistoryWaitsForItsFirstSlot() {
    var s = new Scheduler(List.of(job("new", "0 3 * * *")), Map.of(), NO_RANDOM);
    assertThat(s.due(at("2025-01-04T12:00"))).isEmpty();
    assertThat(s.nextWakeup(at("2025-01-04T12:00"))).contains(at("2025-01-05T03:00"));
    assertThat(s.due(at("2025-01-05T03:00"))).extracting(Due::kind).containsExactly(Kind.ON_TIME);
  }

  @Test
  void aJobWithoutHistoryFirstSeenExactlyAtItsSlotRuns() {
    var s = new Scheduler(List.of(job("new", "0 3 * * *")), Map.of(), NO_RANDOM);
    assertThat(s.due(at("2025-01-05T03:00"))).extracting(Due::kind).containsExactly(Kind.ON_TIME);
  }

  @Test
  void aRunningJobIsNotStartedAgainAndItsMissedSlotsAreCaughtUpOnce() {
    var s = new Scheduler(List.of(job("often", "*/15 * * * *")), Map.of("often", at("2025-01-01T02:45")), NO_RANDOM);
    assertThat(s.due(at("2025-01-01T03:00"))).extracting(Due::kind).containsExactly(Kind.ON_TIME);
    for (String t : List.of("2025-01-01T03:15", "2025-01-01T03:30", "2025-01-01T03:45")) {
      assertThat(s.due(at(t))).as("still running at " + t).isEmpty();
      assertThat(s.nextWakeup(at(t))).as("a running job sets no wakeup").isEmpty();
    }
    s.finished("often", at("2025-01-01T03:50"));
    assertThat(s.due(at("2025-01-01T03:50")))
        .containsExactly(new Due("often", at("2025-01-01T03:45"), at("2025-01-01T03:50"), Kind.CATCH_UP));
    s.finished("often", at("2025-01-01T03:55"));
    assertThat(s.due(at("2025-01-01T03:56"))).isEmpty();
    assertThat(s.due(at("2025-01-01T04:00")))
        .containsExactly(new Due("often", at("2025-01-01T04:00"), at("2025-01-01T04:00"), Kind.ON_TIME));
  }

  @Test
  void aJobFinishingBeforeItsNextSlotIsNotCaughtUp() {
    var s = new Scheduler(List.of(job("often", "*/15 * * * *")), Map.of("often", at("2025-01-01T02:45")), NO_RANDOM);
    s.due(at("2025-01-01T03:00"));
    s.finished("often", at("2025-01-01T03:14"));
    assertThat(s.due(at("2025-01-01T03:14"))).isEmpty();
    assertThat(s.nextWakeup(at("2025-01-01T03:14"))).contains(at("2025-01-01T03:15"));
    assertThat(s.due(at("2025-01-01T03:15"))).extracting(Due::kind).containsExactly(Kind.ON_TIME);
  }

  @Test
  void jobsAreIndependentAndReportedInOrder() {
    var s = new Scheduler(
        List.of(job("a", "0 3 * * *"), job("b", "30 * * * *"), job("c", "0 4 * * *")),
        Map.of("a", at("2025-01-01T03:00"), "b", at("2025-01-02T01:30"), "c", at("2025-01-01T04:00")),
        NO_RANDOM);
    assertThat(s.due(at("2025-01-02T03:00"))).extracting(Due::job, Due::kind)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("a", Kind.ON_TIME),
            org.assertj.core.groups.Tuple.tuple("b", Kind.CATCH_UP));
    assertThat(s.nextWakeup(at("2025-01-02T03:00"))).as("a and b are running; c's next slot")
        .contains(at("2025-01-02T04:00"));
    s.finished("b", at("2025-01-02T03:05"));
    assertThat(s.nextWakeup(at("2025-01-02T03:05"))).contains(at("2025-01-02T03:30"));
  }

  @Test
  void randomizedDelayIsDrawnOncePerSlotWithinTheMaximumAndReproducible() {
    var max = Duration.ofMinutes(30);
    var jobs = List.of(new ScheduledJob("nightly", CronSchedule.parse("0 3 * * *", UTC), max));
    var history = Map.of("nightly", at("2025-01-01T03:00"));
    var s = new Scheduler(jobs, history, new SplittableRandom(42));
    var again = new Scheduler(jobs, history, new SplittableRandom(42));

    Instant slot = at("2025-01-02T03:00");
    assertThat(s.due(slot)).isEmpty();
    Instant runAt = s.nextWakeup(slot).orElseThrow();
    assertThat(runAt).isBetween(slot, slot.plus(max)).isNotEqualTo(slot);
    assertThat(s.nextWakeup(slot.plusSeconds(1))).as("not drawn again").contains(runAt);
    assertThat(again.nextWakeup(slot)).as("same seed, same delay").contains(runAt);

    assertThat(s.due(runAt.minusMillis(1))).isEmpty();
    assertThat(s.due(runAt)).containsExactly(new Due("nightly", slot, runAt, Kind.ON_TIME));
  }

  @Test
  void randomizedDelaysStayWithinTheMaximumOverManySlots() {
    var max = Duration.ofSeconds(90);
    var s = new Scheduler(
        List.of(new ScheduledJob("j", CronSchedule.parse("*/5 * * * *", UTC), max)),
        Map.of("j", at("2025-01-01T00:00")), new SplittableRandom(7));
    Instant now = at("2025-01-01T00:00");
    long distinct = 0;
    Duration previous = null;
    for (int i = 0; i < 200; i++) {
      now = s.nextWakeup(now).orElseThrow();
      List<Due> due = s.due(now);
      if (due.isEmpty()) {
        continue; // woke at the slot; the run waits for its delay
      }
      Due d = due.getFirst();
      Duration delay = Duration.between(d.scheduledFor(), d.runAt());
      assertThat(delay).isBetween(Duration.ZERO, max);
      distinct += delay.equals(previous) ? 0 : 1;
      previous = delay;
      s.finished("j", now.plusSeconds(10));
      now = now.plusSeconds(10);
    }
    assertThat(distinct).isGreaterThan(50);
  }

  @Test
  void aCatchUpWaitsForItsRandomDelayFromWhenTheMissWasNoticed() {
    var max = Duration.ofMinutes(10);
    var s = new Scheduler(
        List.of(new ScheduledJob("nightly", CronSchedule.parse("0 3 * * *", UTC), max)),
        Map.of("nightly", at("2025-01-01T03:00")), new SplittableRandom(1));
    Instant back = at("2025-01-04T12:00");
    assertThat(s.due(back)).isEmpty();
    Instant runAt = s.nextWakeup(back).orElseThrow();
    assertThat(runAt).isBetween(back, back.plus(max));
    assertThat(s.due(runAt)).extracting(Due::kind).containsExactly(Kind.CATCH_UP);
  }

  @Test
  void aDelayLongerThanThePeriodStillRunsOnceAndReportsTheNewestSlot() {
    var s = new Scheduler(
        List.of(new ScheduledJob("j", CronSchedule.parse("* * * * *", UTC), Duration.ofMinutes(10))),
        Map.of("j", at("2025-01-01T00:00")), new SplittableRandom(3));
    Instant runAt = s.nextWakeup(at("2025-01-01T00:01")).orElseThrow();
    assertThat(runAt).isAfter(at("2025-01-01T00:02"));
    assertThat(s.due(runAt)).singleElement().satisfies(d -> {
      assertThat(d.runAt()).isEqualTo(runAt);
      assertThat(d.scheduledFor()).isEqualTo(runAt.truncatedTo(java.time.temporal.ChronoUnit.MINUTES));
    });
  }

  @Test
  void wakesRightAfterASpringForwardGap() {
    var berlin = ZoneId.of("Europe/Berlin");
    var s = new Scheduler(
        List.of(new ScheduledJob("nightly", CronSchedule.parse("30 2 * * *", berlin))),
        Map.of("nightly", Instant.parse("2025-03-29T01:30:00Z")), NO_RANDOM);
    Instant wake = s.nextWakeup(Instant.parse("2025-03-29T12:00:00Z")).orElseThrow();
    assertThat(wake).isEqualTo(Instant.parse("2025-03-30T01:00:00Z")); // 03:00 CEST
    assertThat(s.due(wake)).extracting(Due::kind).containsExactly(Kind.ON_TIME);
  }

  @Test
  void misuseIsRefused() {
    var s = new Scheduler(List.of(job("a", "0 3 * * *")), Map.of(), NO_RANDOM);
    assertThatThrownBy(() -> s.finished("a", at("2025-01-01T00:00")))
        .isInstanceOf(IllegalStateException.class).hasMessage("job a finished but was not running");
    assertThatThrownBy(() -> s.runningSince("b"))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("no scheduled job named b");
    assertThatThrownBy(() -> new Scheduler(List.of(job("a", "0 3 * * *"), job("a", "0 4 * * *")), Map.of(), NO_RANDOM))
        .hasMessage("job a is scheduled twice");
    assertThatThrownBy(() -> new ScheduledJob("a", CronSchedule.parse("@daily", UTC), Duration.ofSeconds(-1)))
        .hasMessageContaining("must not be negative");
  }

  @Test
  void noJobsMeansNothingToWaitFor() {
    var s = new Scheduler(List.of(), Map.of(), NO_RANDOM);
    assertThat(s.due(at("2025-01-01T00:00"))).isEmpty();
    assertThat(s.nextWakeup(at("2025-01-01T00:00"))).isEmpty();
  }
}
