package dev.holdfast.schedule;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drives a {@link Scheduler} in the daemon: one timer thread owns the scheduler and asks it what
 * is due; each run goes to a virtual thread; a finished run is reported back on the timer thread,
 * which then looks again (so a slot missed while the job ran is caught up at once).
 *
 * <p>The timer sleeps until the scheduler's next wakeup but never longer than a minute, so a wall
 * clock that jumps (suspend and resume, NTP steps) is noticed within a minute: the executor
 * measures delays on the monotonic clock, the schedule is on the wall clock.
 */
public final class DaemonLoop implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DaemonLoop.class);
  static final Duration MAX_SLEEP = Duration.ofMinutes(1);

  private final Scheduler scheduler;
  private final Clock clock;
  private final JobLauncher launcher;
  private final ScheduledExecutorService timer;
  private final ExecutorService runs;
  private ScheduledFuture<?> nextTick;

  public DaemonLoop(Scheduler scheduler, Clock clock, JobLauncher launcher) {
    this(scheduler, clock, launcher,
        Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("holdfast-scheduler").daemon().factory()),
        Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("holdfast-run-", 1).factory()));
  }

  DaemonLoop(Scheduler scheduler, Clock clock, JobLauncher launcher,
      ScheduledExecutorService timer, ExecutorService runs) {
    this.scheduler = scheduler;
    this.clock = clock;
    this.launcher = launcher;
    this.timer = timer;
    this.runs = runs;
  }

  /** Starts looking for due jobs; returns at once. */
  public void start() {
    timer.execute(this::tick);
  }

  /** Looks for due jobs now, on the timer thread, and waits until that look is done. */
  void tickAndWait() throws InterruptedException, ExecutionException {
    Future<?> done = timer.submit(this::tick);
    done.get();
  }

  /** Runs on the timer thread only. */
  private void tick() {
    if (nextTick != null) {
      nextTick.cancel(false);
    }
    Duration sleep = MAX_SLEEP;
    try {
      Instant now = clock.instant();
      for (Due due : scheduler.due(now)) {
        log.info("starting job {} ({} run for {})", due.job(),
            due.kind() == Due.Kind.CATCH_UP ? "catch-up" : "scheduled", due.scheduledFor());
        runs.execute(() -> run(due));
      }
      sleep = scheduler.nextWakeup(now)
          .map(wake -> Duration.between(now, wake))
          .filter(d -> d.compareTo(MAX_SLEEP) < 0)
          .orElse(MAX_SLEEP);
    } catch (RuntimeException e) {
      // a bug must not stop every later backup: say so loudly and look again later
      log.error("scheduler failed; looking again in {}", sleep, e);
    }
    if (!timer.isShutdown()) {
      nextTick = timer.schedule(this::tick, Math.max(0, sleep.toMillis()), TimeUnit.MILLISECONDS);
    }
  }

  private void run(Due due) {
    try {
      launcher.run(due);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      log.warn("job {} was interrupted", due.job());
    } catch (Exception e) {
      log.error("job {} could not be run: {}", due.job(), e.toString(), e);
    } finally {
      try {
        timer.execute(() -> {
          scheduler.finished(due.job(), clock.instant());
          tick();
        });
      } catch (RejectedExecutionException stopped) {
        log.info("job {} ended after the scheduler stopped", due.job());
      }
    }
  }

  /**
   * Stops scheduling but lets running jobs finish (a config reload hands over to a new loop);
   * waits until the timer thread is idle, so the scheduler may then be read from another thread.
   */
  public void stopScheduling() throws InterruptedException {
    timer.shutdownNow();
    runs.shutdown();
    timer.awaitTermination(MAX_SLEEP.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Stops scheduling and interrupts running jobs, waiting up to {@code grace} for them to end. */
  public void stop(Duration grace) throws InterruptedException {
    timer.shutdownNow();
    runs.shutdownNow();
    runs.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS);
    timer.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** {@link #stop} with 30 s of grace; an interrupt while waiting is passed on to the caller's thread. */
  @Override
  public void close() {
    try {
      stop(Duration.ofSeconds(30));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
