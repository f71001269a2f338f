package dev.holdfast.cli;

import dev.holdfast.error.HoldfastException;
import dev.holdfast.mirror.ExcludeRules;
import dev.holdfast.mirror.MirrorJob;
import dev.holdfast.mirror.MirrorRequest;
import dev.holdfast.mirror.MirrorRunner;
import dev.holdfast.mirror.MountRequirement;
import dev.holdfast.state.StateStore;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code holdfast mirror}: one-way sync of directories to a plain copy, like rsync -aH. */
@Command(name = "mirror", description = {
    "Make DEST a plain copy of the sources (like rsync -aH SRC/ DEST/); several sources each become DEST/<name>.",
    "  holdfast mirror ~/photos --to /media/usb/photos --delete --backup-dir .deleted/{date}",
    "  holdfast mirror /srv/data --to /mnt/nas/data --require-mount /mnt/nas --when-absent skip -n"})
final class MirrorCommand implements Callable<Integer> {
  private final Main main;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Parameters(paramLabel = "SRC", arity = "1..*", description = "Directories (or files) to mirror.")
  List<String> sources = new ArrayList<>();

  @Option(names = "--to", paramLabel = "DEST", required = true, description = "The destination directory.")
  String to;

  @Option(names = "--delete", description = "Remove files in DEST that the sources do not have.")
  boolean delete;

  @Option(names = {"-c", "--checksum"}, description = "Compare content, not size and modification time.")
  boolean checksum;

  @Option(names = {"-X", "--xattrs", "-A", "--acls"},
      description = "Copy extended attributes and POSIX ACLs too, as rsync -AX does (local destinations only).")
  boolean xattrs;

  @Option(names = "--backup-dir", paramLabel = "DIR",
      description = "Move replaced and deleted files here instead of losing them ({date} = yyyy-MM-dd; relative to DEST).")
  String backupDir;

  @Option(names = "--exclude", paramLabel = "GLOB", description = "rsync-style exclude pattern (repeatable).")
  List<String> exclude = new ArrayList<>();

  @Option(names = "--exclude-from", paramLabel = "FILE", description = "Read exclude patterns from FILE, one a line.")
  List<Path> excludeFrom = new ArrayList<>();

  @Option(names = {"-n", "--dry-run"}, description = "List what would change (itemized) and change nothing.")
  boolean dryRun;

  @Option(names = "--require-mount", paramLabel = "DIR", description = "Refuse to write unless DIR is a mount point.")
  Path requireMount;

  @Option(names = "--wait-for-mount", paramLabel = "DURATION", description = "Wait this long for --require-mount (e.g. 60s).")
  String waitForMount;

  @Option(names = "--when-absent", paramLabel = "skip|fail", defaultValue = "fail",
      description = "An absent mount skips the run (exit 6) or fails it (exit 10). Default: ${DEFAULT-VALUE}.")
  String whenAbsent;

  @Option(names = "--metrics-textfile", paramLabel = "DIR",
      description = "After the run, write holdfast.prom (Prometheus metrics) into DIR for node-exporter's textfile collector.")
  Path metricsTextfile;

  @Option(names = "--job-name", paramLabel = "NAME", defaultValue = "mirror",
      description = "Name for the run history and lock. Default: ${DEFAULT-VALUE}.")
  String jobName;

  MirrorCommand(Main main) {
    this.main = main;
  }

  @Override
  public Integer call() {
    Wiring w = new Wiring(main, spec.commandLine().getErr());
    if (!jobName.matches("[A-Za-z0-9][A-Za-z0-9._-]*")) {
      throw HoldfastException.usage("--job-name may use letters, digits, '.', '_' and '-'");
    }
    List<String> patterns = new ArrayList<>(exclude);
    for (Path f : excludeFrom) {
      patterns.addAll(readExcludes(Path.of(w.expandHome(f.toString()))));
    }
    MountRequirement mount = null;
    if (requireMount != null) {
      mount = mount(w.expandHome(requireMount.toString()), waitForMount, whenAbsent);
    }
    MirrorRequest req = new MirrorRequest(sources.stream().map(s -> Path.of(w.expandHome(s))).toList(),
        destination(w.expandHome(to)), delete, checksum, backupDir == null ? null : Path.of(backupDir),
        new ExcludeRules(patterns), dryRun, xattrs);
    if (xattrs && req.dest().startsWith("sftp:")) {
      throw HoldfastException.usage("--xattrs needs a local destination: SFTP keeps no extended attributes",
          "mirror without --xattrs, or to a local or mounted directory");
    }
    return run(main, spec.commandLine(), w, new MirrorJob(jobName, req, to, mount, null), metricsTextfile);
  }

  static String destination(String to) {
    if (to.startsWith("s3:")) {
      throw HoldfastException.usage("mirror supports local directories and sftp:// destinations, not S3: " + to);
    }
    return to.startsWith("file://") ? java.net.URI.create(to).getPath() : to;
  }

  /** The tree behind a mirror destination: a local directory, or a directory on an SFTP server. */
  static dev.holdfast.mirror.DestTree tree(Wiring w, String dest) {
    if (dest.startsWith("sftp:")) {
      return new dev.holdfast.mirror.SftpTree(w.sftpBackend(dest));
    }
    return new dev.holdfast.mirror.LocalTree(Path.of(dest));
  }

  static List<String> readExcludes(Path f) {
    try {
      return ExcludeRules.parseFile(Files.readAllLines(f));
    } catch (IOException e) {
      throw HoldfastException.usage("cannot read exclude file " + f + ": " + e.getMessage());
    }
  }

  static MountRequirement mount(String dir, String wait, String whenAbsent) {
    Duration d = Duration.ZERO;
    if (wait != null) {
      d = dev.holdfast.config.ConfigLoader.parseDuration(wait);
      if (d == null) {
        throw HoldfastException.usage("wait for mount: '" + wait + "' is not a duration such as 60s");
      }
    }
    try {
      return new MountRequirement(Path.of(dir), d,
          whenAbsent == null ? MountRequirement.WhenAbsent.FAIL : MountRequirement.WhenAbsent.parse(whenAbsent));
    } catch (IllegalArgumentException e) {
      throw HoldfastException.usage("when absent: " + e.getMessage());
    }
  }

  /** The runner for mirror jobs, telling {@code listener} (notifications, metrics) about each run. */
  static MirrorRunner runner(Wiring w, StateStore state, dev.holdfast.job.RunLog log,
      dev.holdfast.job.RunListener listener) {
    return runner(w, () -> state, log, listener);
  }

  static MirrorRunner runner(Wiring w, java.util.function.Supplier<StateStore> state, dev.holdfast.job.RunLog log,
      dev.holdfast.job.RunListener listener) {
    return new MirrorRunner(w.stateDir(), state, log, w.clock(), w.zone(), w.host(), d -> tree(w, d), listener);
  }

  /**
   * The state store, opened on a thread of its own: loading SQLite's native library (and the logging
   * it initialises) takes longer than an unchanged mirror pass, so the two overlap.
   */
  private static final class StateOpening implements java.util.function.Supplier<StateStore>, AutoCloseable {
    private final java.util.concurrent.FutureTask<StateStore> task;

    StateOpening(Path file) {
      task = new java.util.concurrent.FutureTask<>(() -> StateStore.open(file));
      Thread t = new Thread(task, "holdfast-state-open");
      t.setDaemon(true);
      t.start();
    }

    @Override
    public StateStore get() {
      try {
        return task.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new HoldfastException(dev.holdfast.error.ExitCode.INTERRUPTED, "interrupted while opening the state file");
      } catch (java.util.concurrent.ExecutionException e) {
        if (e.getCause() instanceof RuntimeException re) {
          throw re;
        }
        throw new IllegalStateException(e.getCause());
      }
    }

    @Override
    public void close() {
      try {
        task.get().close();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (java.util.concurrent.ExecutionException e) {
        // the failure to open was reported by get(), or nothing needed the store
      }
    }
  }

  static boolean isMirror(dev.holdfast.config.JobSpec s) {
    return s.mirror() != null;
  }

  /** A configured {@code format: mirror} job, resolved. */
  static MirrorJob job(Wiring w, dev.holdfast.config.JobSpec s) {
    var m = s.mirror();
    List<String> patterns = new ArrayList<>(s.exclude());
    for (String f : m.excludeFrom()) {
      patterns.addAll(readExcludes(Path.of(w.expandHome(f))));
    }
    MountRequirement mount = m.requireMount() == null ? null
        : new MountRequirement(Path.of(w.expandHome(m.requireMount())), m.waitForMount(),
            MountRequirement.WhenAbsent.parse(m.whenAbsent()));
    MirrorRequest req = new MirrorRequest(s.sources().stream().map(x -> Path.of(w.expandHome(x))).toList(),
        destination(w.expandHome(s.target())), m.delete(), m.checksum(),
        m.backupDir() == null ? null : Path.of(w.expandHome(m.backupDir())), new ExcludeRules(patterns), false,
        m.xattrs());
    return new MirrorJob(s.name(), req, s.target(), mount, s.maxAge(),
        new dev.holdfast.job.Hooks(s.beforeHooks(), s.afterHooks(), s.onFailureHooks(), s.hookTimeout()));
  }

  /**
   * For {@code run} and {@code backup}: runs the mirror jobs among {@code specs}, then the others
   * through {@code others}. A failing job does not stop the rest; a skipped mirror is no failure.
   */
  static int runJobs(Main main, CommandLine cl, Wiring w, List<dev.holdfast.config.JobSpec> specs, Path textfileDir,
      java.util.function.Function<List<dev.holdfast.config.JobSpec>, Integer> others) {
    List<dev.holdfast.config.JobSpec> mirrors = specs.stream().filter(MirrorCommand::isMirror).toList();
    List<dev.holdfast.config.JobSpec> rest = specs.stream().filter(s -> !isMirror(s)).toList();
    if (mirrors.isEmpty()) {
      return others.apply(rest);
    }
    HoldfastException failure = null;
    boolean skipped = false;
    for (var s : mirrors) {
      try {
        skipped |= run(main, cl, w, job(w, s), textfileDir) == dev.holdfast.error.ExitCode.SKIPPED.code();
      } catch (HoldfastException e) {
        if (specs.size() == 1) {
          throw e;
        }
        failure = failure == null ? e : failure;
      }
    }
    int code = 0;
    try {
      code = rest.isEmpty() ? 0 : others.apply(rest);
    } catch (HoldfastException e) {
      failure = failure == null ? e : failure;
    }
    if (failure != null) {
      throw new HoldfastException(failure.exitCode(), "some jobs failed; first failure: " + failure.getMessage(),
          failure.hint(), failure);
    }
    return code != 0 ? code : skipped ? dev.holdfast.error.ExitCode.SKIPPED.code() : 0;
  }

  /**
   * Runs one mirror job with the lock, record, log line, notifications and metrics textfile; prints
   * itemized lines with -v or --dry-run.
   */
  static int run(Main main, CommandLine cl, Wiring w, MirrorJob job, Path textfileDir) {
    PrintWriter out = cl.getOut();
    boolean show = job.request().dryRun() || main.global.verbose.length > 0;
    try (StateOpening state = new StateOpening(w.stateDir().resolve("state.db"))) {
      MirrorRunner.Outcome o;
      try {
        boolean itemize = show && !main.global.json;
        o = runner(w, state, w.runLog(), w.notifications(w.runLog())).run(job, line -> {
          if (itemize) {
            out.println(line);
          }
        });
      } finally {
        if (!job.request().dryRun() && w.metricsTextfileDir(textfileDir) != null) {
          JobBatch.writeTextfile(w, state.get(), textfileDir);
        }
      }
      if (main.global.json) {
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("job", job.name());
        m.put("status", job.request().dryRun() ? "DRY_RUN" : o.record().status());
        m.put("target", job.target());
        m.put("copied", o.result() == null ? 0 : o.result().copied());
        m.put("updated", o.result() == null ? 0 : o.result().updated());
        m.put("deleted", o.result() == null ? 0 : o.result().deleted());
        m.put("bytes", o.result() == null ? 0 : o.result().bytes());
        m.put("exit_code", o.exitCode().code());
        Json.print(out, m);
      } else if (job.request().dryRun() && o.result() != null && !main.global.quiet) {
        out.println("dry run: " + o.result().copied() + " to copy, " + o.result().updated() + " to update, "
            + o.result().deleted() + " to delete, " + dev.holdfast.job.RunLog.human(o.result().bytes())
            + "; nothing changed");
      }
      out.flush();
      return o.exitCode().code();
    }
  }
}
