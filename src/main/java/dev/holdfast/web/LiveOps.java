package dev.holdfast.web;

import dev.holdfast.event.BackupEvent;
import dev.holdfast.event.EventSink;
import dev.holdfast.job.RunListener;
import dev.holdfast.state.RunRecord;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The operations going on now (runs, started by the schedule or a button; verifies; restores) with
 * their progress from the core's events, and the last ones that finished. A scheduled run appears
 * through the daemon's run listener; its progress through {@link #eventsFor}.
 */
final class LiveOps implements RunListener {
  private static final int KEEP_FINISHED = 200;

  /** One operation. {@code result} is set when it ends (a run's record, a verify report). */
  static final class Op implements EventSink {
    final String id;
    final String job;
    final String kind;
    final String origin;
    final Instant started;
    final AtomicLong bytes = new AtomicLong();
    final AtomicLong files = new AtomicLong();
    volatile String state = "running";
    volatile String message;
    volatile Instant finished;
    volatile Object result;
    volatile Long runId;
    private final Clock clock;

    Op(String id, String job, String kind, String origin, Clock clock) {
      this.id = id;
      this.job = job;
      this.kind = kind;
      this.origin = origin;
      this.clock = clock;
      this.started = clock.instant();
    }

    @Override
    public void publish(BackupEvent e) {
      switch (e) {
        case BackupEvent.EntryDone d -> files.incrementAndGet();
        case BackupEvent.BytesMoved m -> bytes.addAndGet(m.bytes());
        case BackupEvent.Note n -> message = n.message();
        case BackupEvent.Attention a -> message = a.message();
        case BackupEvent.Warning w -> { }
      }
    }

    View view() {
      Instant end = finished == null ? clock.instant() : finished;
      long ms = Math.max(1, Duration.between(started, end).toMillis());
      long b = bytes.get();
      return new View(id, job, kind, origin, state, started, finished, b, files.get(), b * 1000 / ms, ms, message, runId,
          result);
    }
  }

  /** What the API shows of an operation; {@code rate} in bytes per second. */
  record View(String id, String job, String kind, String origin, String state, Instant started, Instant finished,
      long bytes, long files, long rate, long elapsedMs, String message, Long runId, Object result) {}

  private final Clock clock;
  private final AtomicLong ids = new AtomicLong();
  private final Map<String, Op> running = new ConcurrentHashMap<>();
  private final Deque<Op> done = new ArrayDeque<>();
  private final AtomicLong generation = new AtomicLong();

  LiveOps(Clock clock) {
    this.clock = clock;
  }

  Op begin(String job, String kind, String origin) {
    Op op = new Op(Long.toString(ids.incrementAndGet()), job, kind, origin, clock);
    running.put(op.id, op);
    return op;
  }

  void end(Op op, String state, String message, Object result) {
    end(op, state, message, result, v -> { });
  }

  /** Ends the operation; {@code record} sees its final view before anyone can see it ended. */
  synchronized void end(Op op, String state, String message, Object result, java.util.function.Consumer<View> record) {
    if (op.finished != null) {
      return;
    }
    op.message = message;
    op.result = result;
    op.finished = clock.instant();
    View v = op.view();
    record.accept(new View(v.id(), v.job(), v.kind(), v.origin(), state, v.started(), v.finished(), v.bytes(), v.files(),
        v.rate(), v.elapsedMs(), v.message(), v.runId(), v.result()));
    op.state = state;
    generation.incrementAndGet();
    running.remove(op.id);
    synchronized (done) {
      done.addFirst(op);
      while (done.size() > KEEP_FINISHED) {
        done.removeLast();
      }
    }
  }

  /** Changes whenever an operation ends (it may have changed what targets hold). */
  long generation() {
    return generation.get();
  }

  /** Something changed the targets outside an operation (a forget). */
  void changed() {
    generation.incrementAndGet();
  }

  Optional<Op> runningRun(String job) {
    return running.values().stream().filter(o -> o.job.equals(job) && o.kind.equals("run")).findFirst();
  }

  /** Progress events of the job's current run, whoever started it. */
  EventSink eventsFor(String job) {
    return e -> runningRun(job).ifPresent(op -> op.publish(e));
  }

  List<View> running() {
    return running.values().stream().map(Op::view).sorted((a, b) -> a.started().compareTo(b.started())).toList();
  }

  Optional<View> find(String id) {
    Op op = running.get(id);
    if (op != null) {
      return Optional.of(op.view());
    }
    synchronized (done) {
      return done.stream().filter(o -> o.id.equals(id)).findFirst().map(Op::view);
    }
  }

  /** Finished operations of one job (all when null) and kind (all when null), newest first. */
  List<View> finished(String job, String kind) {
    List<View> out = new ArrayList<>();
    synchronized (done) {
      for (Op o : done) {
        if ((job == null || o.job.equals(job)) && (kind == null || o.kind.equals(kind))) {
          out.add(o.view());
        }
      }
    }
    return out;
  }

  @Override
  public void started(String job, Instant at) {
    if (runningRun(job).isEmpty()) {
      begin(job, "run", "schedule");
    }
  }

  @Override
  public void finished(RunRecord r) {
    runningRun(r.job()).ifPresent(op -> {
      op.runId = r.id();
      end(op, r.status().equals("FAILURE") ? "failed" : "done", r.error() != null ? r.error() : r.status(), r);
    });
  }
}
