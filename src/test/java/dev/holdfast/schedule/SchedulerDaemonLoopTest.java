package dev.holdfast.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import dev.holdfast.schedule.Due.Kind;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The daemon loop on real threads with a hand-moved clock: runs are awaited, never slept for. */
class SchedulerDaemonLoopTest {
  /** A clock the test moves by hand. */
  static final class HandClock extends Clock {
    private volatile Instant now;

    HandClock(Instant start) {
      now = start;
    }

    void set(Instant instant) {
      now = instant;
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      throw new UnsupportedOperationException();
    }
  }

  @Test
  void launchesDueJobsAndCatchesUpASlotMissedWhileRunningOnceItEnds() throws Exception {
    var clock = new HandClock(Instant.parse("2025-01-02T03:00:00Z"));
    var scheduler = new Scheduler(
        List.of(new ScheduledJob("nightly", CronSchedule.parse("0 3 * * *", ZoneOffset.UTC))),
        Map.of("nightly", Instant.parse("2025-01-01T03:00:00Z")), new SplittableRandom(0));
    BlockingQueue<Due> started = new LinkedBlockingQueue<>();
    var release = new CountDownLatch(1);
    JobLauncher launcher = due -> {
      started.add(due);
      if (due.kind() == Kind.ON_TIME) {
        release.await(); // the first run is a long one
      }
    };

    try (var loop = new DaemonLoop(scheduler, clock, launcher)) {
      loop.start();
      Due first = started.poll(10, TimeUnit.SECONDS);
      assertThat(first).isEqualTo(new Due("nightly", Instant.parse("2025-01-02T03:00:00Z"),
          Instant.parse("2025-01-02T03:00:00Z"), Kind.ON_TIME));

      clock.set(Instant.parse("2025-01-03T03:30:00Z")); // the next slot passes while it runs
      loop.tickAndWait();
      assertThat(started).as("no overlap").isEmpty();
      assertThat(scheduler.runningSince("nightly")).contains(Instant.parse("2025-01-02T03:00:00Z"));

      release.countDown();
      Due second = started.poll(10, TimeUnit.SECONDS);
      assertThat(second).isEqualTo(new Due("nightly", Instant.parse("2025-01-03T03:00:00Z"),
          Instant.parse("2025-01-03T03:30:00Z"), Kind.CATCH_UP));

      loop.tickAndWait();
      loop.tickAndWait();
      assertThat(started).as("caught up once").isEmpty();
    }
  }

  @Test
  void aFailingLaunchIsLoggedAndTheJobIsFreeForItsNextSlot() throws Exception {
    var clock = new HandClock(Instant.parse("2025-01-02T03:00:00Z"));
    var scheduler = new Scheduler(
        List.of(new ScheduledJob("nightly", CronSchedule.parse("0 3 * * *", ZoneOffset.UTC))),
        Map.of("nightly", Instant.parse("2025-01-01T03:00:00Z")), new SplittableRandom(0));
    BlockingQueue<Due> started = new LinkedBlockingQueue<>();
    try (var loop = new DaemonLoop(scheduler, clock, due -> {
      started.add(due);
      throw new IllegalStateException("config vanished");
    })) {
      loop.start();
      assertThat(started.poll(10, TimeUnit.SECONDS)).isNotNull();
      clock.set(Instant.parse("2025-01-03T03:00:00Z"));
      // the failed run reports itself finished and the loop looks again, before or after this tick
      loop.tickAndWait();
      assertThat(started.poll(10, TimeUnit.SECONDS)).extracting(Due::scheduledFor).isEqualTo(Instant.parse("2025-01-03T03:00:00Z"));
    }
  }

  @Test
  void stopInterruptsRunningJobs() throws Exception {
    var clock = new HandClock(Instant.parse("2025-01-02T03:00:00Z"));
    var scheduler = new Scheduler(
        List.of(new ScheduledJob("nightly", CronSchedule.parse("0 3 * * *", ZoneOffset.UTC))),
        Map.of("nightly", Instant.parse("2025-01-01T03:00:00Z")), new SplittableRandom(0));
    var running = new CountDownLatch(1);
    var interrupted = new CountDownLatch(1);
    var loop = new DaemonLoop(scheduler, clock, due -> {
      running.countDown();
      try {
        new CountDownLatch(1).await();
      } catch (InterruptedException e) {
        interrupted.countDown();
      }
    });
    loop.start();
    assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();
    loop.stop(Duration.ofSeconds(10));
    assertThat(interrupted.await(10, TimeUnit.SECONDS)).isTrue();
  }
}
