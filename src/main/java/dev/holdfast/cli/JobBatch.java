package dev.holdfast.cli;

import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import dev.holdfast.event.EventSink;
import dev.holdfast.job.Job;
import dev.holdfast.job.JobRunner;
import dev.holdfast.job.RunResult;
import dev.holdfast.job.RunSteps;
import dev.holdfast.state.StateStore;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import picocli.CommandLine;

/**
 * Runs several jobs one after another for {@code backup} and {@code run}: a failing job does not
 * stop the others; the exit code is the first failure's, else 3 if any run was partial.
 */
final class JobBatch {
  private JobBatch() {}

  static int run(Main main, CommandLine cl, Wiring w, List<Job> jobs, Function<Job, RunSteps> steps) {
    return run(main, cl, w, jobs, steps, null);
  }

  /** @param textfileDir where to write the metrics textfile after the runs (null: the config's, or none) */
  static int run(Main main, CommandLine cl, Wiring w, List<Job> jobs, Function<Job, RunSteps> steps,
      java.nio.file.Path textfileDir) {
    ExitCode worst = ExitCode.OK;
    HoldfastException failure = null;
    List<Map<String, Object>> results = new ArrayList<>();
    // the one job's repository is opened (its key derived) while the state store opens
    try (dev.holdfast.job.RepositoryAhead ahead = jobs.size() == 1
            ? dev.holdfast.job.RepositoryAhead.start(jobs.get(0), w::openBackend) : null;
        StateStore state = w.openState()) {
      JobRunner runner = w.runner(state, w.runLog());
      runner.useAhead(ahead);
      try {
        for (Job job : jobs) {
          try (ProgressDisplay progress =
              ProgressDisplay.startIfTerminal(cl.getErr(), main.global.quiet || main.global.json)) {
            EventSink sink = progress == null ? EventSink.NONE : progress;
            RunResult r = runner.run(job, steps.apply(job), sink);
            if (r.exitCode() == ExitCode.PARTIAL && worst == ExitCode.OK) {
              worst = ExitCode.PARTIAL;
            }
            results.add(json(job.name(), r));
          } catch (HoldfastException e) {
            if (jobs.size() == 1 && !main.global.json) {
              throw e;
            }
            failure = failure == null ? e : failure;
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("job", job.name());
            m.put("status", "FAILURE");
            m.put("error", e.getMessage());
            m.put("exit_code", e.exitCode().code());
            results.add(m);
          }
        }
      } finally {
        writeTextfile(w, state, textfileDir);
      }
    }
    if (main.global.json) {
      Json.print(cl.getOut(), results.size() == 1 ? results.get(0) : results);
    }
    if (failure != null) {
      if (jobs.size() == 1) {
        throw failure;
      }
      throw new HoldfastException(failure.exitCode(), "some jobs failed; first failure: " + failure.getMessage(),
          failure.hint(), failure);
    }
    return worst.code();
  }

  /** Failed runs count too: the textfile is written whatever happened. */
  static void writeTextfile(Wiring w, StateStore state, java.nio.file.Path option) {
    java.nio.file.Path dir = w.metricsTextfileDir(option);
    if (dir != null) {
      try {
        Wiring.metrics(state).writeTextfile(dir);
      } catch (java.io.IOException | RuntimeException e) {
        w.runLog().line("WARNING", "cannot write metrics textfile in " + dir + ": " + e.getMessage());
      }
    }
  }

  private static Map<String, Object> json(String job, RunResult r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("job", job);
    m.put("status", r.record().status());
    m.put("backup", r.backup().id());
    m.put("target", r.record().target());
    m.put("size", r.backup().size());
    m.put("files", r.backup().files());
    m.put("started", r.record().started());
    m.put("finished", r.record().finished());
    m.put("warnings", r.warnings().stream().map(x -> x.path() + ": " + x.message()).toList());
    return m;
  }
}
