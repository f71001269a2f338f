package dev.holdfast.cli;

import dev.holdfast.config.ConfigSpec;
import dev.holdfast.config.JobSpec;
import dev.holdfast.error.HoldfastException;
import dev.holdfast.job.Job;
import dev.holdfast.job.RunSteps;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code holdfast run}: the whole lifecycle of configured jobs: backup, verify, off-site copy, retention. */
@Command(name = "run", description = {
    "Run jobs' whole lifecycle: backup, then verify, off-site copy and retention as configured.",
    "  holdfast run daily        holdfast run --all        holdfast run --tag databases --no-verify"})
final class RunCommand implements Callable<Integer> {
  private final Main main;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Parameters(paramLabel = "JOB", description = "Jobs to run.")
  List<String> names = new ArrayList<>();

  @Option(names = "--all", description = "Run every configured job.")
  boolean all;

  @Option(names = "--tag", paramLabel = "TAG", description = "Run the jobs with this tag (repeatable).")
  List<String> tags = new ArrayList<>();

  @Option(names = "--verify", negatable = true, description = "Verify after the backup (default: as configured).")
  Boolean verify;

  @Option(names = "--sync-offsite", negatable = true, description = "Copy to off-site targets (default: as configured).")
  Boolean offsite;

  @Option(names = "--cleanup", negatable = true, description = "Apply retention (default: as configured).")
  Boolean cleanup;

  @Option(names = "--metrics-textfile", paramLabel = "DIR",
      description = "After the runs, write holdfast.prom (Prometheus metrics) into DIR for node-exporter's textfile collector.")
  java.nio.file.Path metricsTextfile;

  RunCommand(Main main) {
    this.main = main;
  }

  @Override
  public Integer call() {
    Wiring w = new Wiring(main, spec.commandLine().getErr());
    ConfigSpec c = w.config();
    List<JobSpec> selected = new ArrayList<>();
    if (all) {
      selected.addAll(c.jobs().values());
    }
    for (String t : tags) {
      List<JobSpec> tagged = c.jobs().values().stream().filter(j -> j.tags().contains(t)).toList();
      if (tagged.isEmpty()) {
        throw HoldfastException.usage("no job has the tag '" + t + "'");
      }
      tagged.stream().filter(j -> !selected.contains(j)).forEach(selected::add);
    }
    for (String n : names) {
      JobSpec j = w.jobSpec(n);
      if (!selected.contains(j)) {
        selected.add(j);
      }
    }
    if (selected.isEmpty()) {
      throw HoldfastException.usage("no job selected", "name jobs, or use --all or --tag TAG; jobs: "
          + String.join(", ", c.jobs().keySet()));
    }
    return MirrorCommand.runJobs(main, spec.commandLine(), w, selected, metricsTextfile, archiveJobs -> {
      List<Job> jobs = archiveJobs.stream().map(w::runnableJob).toList();
      RunSteps steps = new RunSteps(verify == null || verify, offsite == null || offsite, cleanup == null || cleanup);
      if (Boolean.TRUE.equals(verify)) {
        // --verify on a job without a verify level: use quick, the cheapest real check
        jobs = jobs.stream().map(j -> j.verify() != null ? j : j.withVerify(dev.holdfast.verify.VerifyLevel.QUICK)).toList();
      }
      return JobBatch.run(main, spec.commandLine(), w, jobs, j -> steps, metricsTextfile);
    });
  }
}
