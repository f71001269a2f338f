package dev.holdfast.schedule;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * Decides which jobs are due, as a state machine driven by the caller's clock: no threads, no
 * sleeping. A job is owed a run when its most recent scheduled time is later than its last start
 * (or, for a job with no history, not earlier than when the scheduler first saw it, so a new job
 * waits for its first slot as a new systemd timer does). However many slots were missed, one run
 * pays them all. A job is never started while it is running; a slot that passes meanwhile is
 * caught up once when it finishes.
 *
 * <p>{@link #due} claims what it returns: each job is marked running from {@code now} until the
 * caller reports {@link #finished}. Not thread-safe; the daemon loop calls it from one thread.
 */
public final class Scheduler {
  private final Map<String, JobState> jobs = new LinkedHashMap<>();
  private final RandomGenerator random;
  private Instant lastLook;

  /**
   * @param jobs what to schedule, in the order due jobs are reported
   * @param lastStarts when each job last started, from the run history; jobs absent here have
   *     never run
   * @param random draws the randomized delays; seed it for reproducible tests
   */
  public Scheduler(
      Collection<ScheduledJob> jobs, Map<String, Instant> lastStarts, RandomGenerator random) {
    this.random = Objects.requireNonNull(random, "random");
    for (ScheduledJob job : jobs) {
      if (this.jobs.putIfAbsent(job.name(), new JobState(job, lastStarts.get(job.name()))) != null) {
        throw new IllegalArgumentException("job " + job.name() + " is scheduled twice");
      }
    }
  }

  /**
   * The jobs to start at {@code now}, each marked running from {@code now}; the caller must start
   * every one and report {@link #finished} for it.
   */
  public List<Due> due(Instant now) {
    look(now);
    var due = new ArrayList<Due>();
    for (JobState s : jobs.values()) {
      if (s.runningSince == null && s.pending != null && !s.pending.runAt().isAfter(now)) {
        due.add(s.pending);
        s.pending = null;
        s.runningSince = now;
        s.lastStart = now;
      }
    }
    return due;
  }

  /** Reports that a job returned by {@link #due} has ended, successfully or not. */
  public void finished(String job, Instant at) {
    JobState s = state(job);
    if (s.runningSince == null) {
      throw new IllegalStateException("job " + job + " finished but was not running");
    }
    s.runningSince = null;
    s.lastFinish = at;
  }

  /**
   * When {@link #due} will next have something to start, judged at {@code now}: a due job's time
   * (possibly already past), or the next scheduled time of an idle job. Running jobs are left out:
   * their end is an event of its own. Empty when nothing is left to wait for.
   */
  public Optional<Instant> nextWakeup(Instant now) {
    look(now);
    Instant earliest = null;
    for (JobState s : jobs.values()) {
      if (s.runningSince != null) {
        continue;
      }
      Instant candidate = s.pending != null
          ? s.pending.runAt()
          : s.job.schedule().next(now).orElse(null);
      if (candidate != null && (earliest == null || candidate.isBefore(earliest))) {
        earliest = candidate;
      }
    }
    return Optional.ofNullable(earliest);
  }

  /** Since when {@code job} has been running, or empty when it is idle. */
  public Optional<Instant> runningSince(String job) {
    return Optional.ofNullable(state(job).runningSince);
  }

  /** When {@code job} last started, from the history or from this scheduler. */
  public Optional<Instant> lastStart(String job) {
    return Optional.ofNullable(state(job).lastStart);
  }

  private JobState state(String job) {
    JobState s = jobs.get(job);
    if (s == null) {
      throw new IllegalArgumentException("no scheduled job named " + job);
    }
    return s;
  }

  /** Notices slots that became owed since the last look and draws their random delays. */
  private void look(Instant now) {
    for (JobState s : jobs.values()) {
      if (s.firstSeen == null) {
        s.firstSeen = now;
      }
      if (s.runningSince != null) {
        continue;
      }
      Instant slot = s.job.schedule().latest(now).orElse(null);
      if (slot == null || !s.owes(slot)) {
        continue;
      }
      if (s.pending != null) {
        // one run covers every slot still owed; keep the delay already drawn
        s.pending = new Due(s.job.name(), slot, s.pending.runAt(), s.pending.kind());
        continue;
      }
      boolean watched = slot.equals(now)
          || (lastLook != null && slot.isAfter(lastLook)
              && (s.lastFinish == null || slot.isAfter(s.lastFinish)));
      Duration delay = delay(s.job.randomizedDelay());
      s.pending = watched
          ? new Due(s.job.name(), slot, slot.plus(delay), Due.Kind.ON_TIME)
          : new Due(s.job.name(), slot, now.plus(delay), Due.Kind.CATCH_UP);
    }
    lastLook = now;
  }

  private Duration delay(Duration max) {
    if (max.isZero()) {
      return Duration.ZERO;
    }
    return Duration.ofMillis(random.nextLong(max.toMillis() + 1));
  }

  private static final class JobState {
    final ScheduledJob job;
    Instant lastStart;
    Instant lastFinish;
    Instant firstSeen;
    Instant runningSince;
    Due pending;

    JobState(ScheduledJob job, Instant lastStart) {
      this.job = job;
      this.lastStart = lastStart;
    }

    boolean owes(Instant slot) {
      return lastStart != null ? slot.isAfter(lastStart) : !slot.isBefore(firstSeen);
    }
  }
}
