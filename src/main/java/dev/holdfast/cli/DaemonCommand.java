package dev.holdfast.cli;

import dev.holdfast.config.ConfigException;
import dev.holdfast.config.ConfigSpec;
import dev.holdfast.config.JobSpec;
import dev.holdfast.config.MetricsSpec;
import dev.holdfast.error.HoldfastException;
import dev.holdfast.event.EventSink;
import dev.holdfast.job.Job;
import dev.holdfast.job.JobRunner;
import dev.holdfast.job.RunListener;
import dev.holdfast.job.RunLog;
import dev.holdfast.job.RunResult;
import dev.holdfast.job.RunSteps;
import dev.holdfast.metrics.HoldfastMetrics;
import dev.holdfast.metrics.MetricsServer;
import dev.holdfast.schedule.CronSchedule;
import dev.holdfast.schedule.DaemonLoop;
import dev.holdfast.schedule.Due;
import dev.holdfast.schedule.ScheduledJob;
import dev.holdfast.schedule.Scheduler;
import dev.holdfast.state.RunRecord;
import dev.holdfast.state.StateStore;
import dev.holdfast.web.Dashboard;
import dev.holdfast.web.PasswordHash;
import dev.holdfast.web.WebSettings;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.locks.ReentrantLock;
import java.util.random.RandomGenerator;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code holdfast daemon}: runs each scheduled job's whole lifecycle on its schedule, serves
 * /metrics, reloads the config on SIGHUP and stops on SIGTERM (aborting a running backup, which
 * then leaves nothing published). Logs one line per event to stdout, for journald.
 */
@Command(name = "daemon", description = {
    "Run jobs on their schedules (config: schedule, randomized_delay) until stopped; serve /metrics.",
    "SIGHUP reloads the config (an invalid one is refused and the old one kept); SIGTERM stops.",
    "  holdfast daemon --config /etc/holdfast/holdfast.yaml"})
final class DaemonCommand implements Runnable {
  private final Main main;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--metrics-listen", paramLabel = "HOST:PORT",
      description = "Serve Prometheus metrics on http://HOST:PORT/metrics (default: metrics.listen, else "
          + MetricsSpec.DEFAULT_LISTEN + "; 'off' to disable).")
  String metricsListen;

  @Option(names = "--hash-password",
      description = "Read a password from standard input, print its hash for web.users[].password_hash, and exit.")
  boolean hashPassword;

  @Option(names = "--stop-timeout", paramLabel = "DURATION", defaultValue = "30s",
      description = "On SIGTERM, how long to wait for an aborted run to clean up. Default: ${DEFAULT-VALUE}.")
  String stopTimeout;

  DaemonCommand(Main main) {
    this.main = main;
  }

  @Override
  public void run() {
    PrintWriter out = spec.commandLine().getOut();
    if (hashPassword) {
      printPasswordHash(out);
      return;
    }
    Wiring w = new Wiring(main, spec.commandLine().getErr());
    ConfigSpec config = w.config();
    Duration grace = dev.holdfast.config.ConfigLoader.parseDuration(stopTimeout);
    if (grace == null) {
      throw HoldfastException.usage("--stop-timeout: '" + stopTimeout + "' is not a duration such as 30s");
    }
    String listen = metricsListen != null ? metricsListen
        : config.metrics().listen() != null ? config.metrics().listen() : MetricsSpec.DEFAULT_LISTEN;
    String[] hostPort = listen.equalsIgnoreCase("off") ? null : MetricsSpec.parseListen(listen);
    if (hostPort == null && !listen.equalsIgnoreCase("off")) {
      throw HoldfastException.usage("--metrics-listen: '" + listen + "' is not HOST:PORT, e.g. 127.0.0.1:9485");
    }
    RunLog log = w.runLog(out);
    WebSettings webSettings = DaemonDashboard.settings(w, config.web());
    boolean webWanted = !Boolean.FALSE.equals(config.web().enabled()) && hostPort != null;
    if (webWanted && !Dashboard.safeToServe(hostPort[0], webSettings)) {
      if (Boolean.TRUE.equals(config.web().enabled())) {
        throw HoldfastException.usage("the dashboard would listen on " + listen + " without authentication",
            "configure web.users or web.token_file, or listen on 127.0.0.1 (see docs/dashboard.md)");
      }
      log.line("WARNING", "not serving the dashboard on " + listen + ": it is not a loopback address and neither"
          + " web.users nor web.token_file is configured (see docs/dashboard.md)");
      webWanted = false;
    }
    BlockingQueue<String> signals = new LinkedBlockingQueue<>();
    boolean handled = Signals.install(signals, log);
    try (StateStore state = w.openState()) {
      HoldfastMetrics metrics = Wiring.metrics(state);
      Daemon daemon = new Daemon(state, log, metrics, grace);
      daemon.listenHost = hostPort == null ? null : hostPort[0];
      MetricsServer server = null;
      if (hostPort != null) {
        try {
          server = MetricsServer.start(metrics, hostPort[0], Integer.parseInt(hostPort[1]));
        } catch (IOException e) {
          throw new HoldfastException(dev.holdfast.error.ExitCode.FAILED,
              "cannot serve metrics on " + listen + ": " + e.getMessage(), "pass another --metrics-listen, or 'off'", e);
        }
        log.line("INFO", "serving metrics on http://" + hostPort[0] + ":" + server.port() + "/metrics");
        if (webWanted) {
          daemon.dashboard = new Dashboard(new DaemonDashboard(() -> daemon.wiring != null ? daemon.wiring : w, state, log, daemon::runNow), webSettings);
          server.mount("/", daemon.dashboard);
          log.line("INFO", "serving the dashboard on http://" + hostPort[0] + ":" + server.port() + "/"
              + (webSettings.authRequired() ? " (login required)" : " (loopback only, no login)"));
        }
      }
      try {
        daemon.run(w, signals, handled);
      } finally {
        if (server != null) {
          server.close();
        }
      }
    }
  }

  /** The running daemon: the current config's loop, and every loop still finishing a run. */
  private final class Daemon {
    private final StateStore state;
    private final RunLog log;
    private final HoldfastMetrics metrics;
    private final Duration grace;
    private final Map<String, ReentrantLock> jobLocks = new ConcurrentHashMap<>();
    private final List<DaemonLoop> loops = new ArrayList<>();
    private final RandomGenerator random = new SplittableRandom();
    private volatile Wiring wiring;
    private volatile Dashboard dashboard;
    private String listenHost;
    private volatile JobRunner runner;
    private volatile RunListener listeners;
    private Scheduler scheduler;

    Daemon(StateStore state, RunLog log, HoldfastMetrics metrics, Duration grace) {
      this.state = state;
      this.log = log;
      this.metrics = metrics;
      this.grace = grace;
    }

    void run(Wiring w, BlockingQueue<String> signals, boolean handled) {
      start(w, Map.of());
      log.line("INFO", "daemon started (pid " + ProcessHandle.current().pid() + ")"
          + (handled ? "; SIGHUP reloads the config, SIGTERM stops" : "; signals cannot be handled on this JVM"));
      try {
        while (true) {
          String signal = signals.take();
          if (signal.equals("HUP")) {
            reload();
          } else {
            log.line("INFO", "stopping on SIG" + signal + ": no new runs; aborting running ones");
            break;
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      for (DaemonLoop loop : loops) {
        try {
          loop.stop(grace);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      if (dashboard != null) {
        try {
          dashboard.stop(grace); // runs started with its button end like scheduled ones
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      log.line("INFO", "daemon stopped");
    }

    private void start(Wiring w, Map<String, Instant> knownStarts) {
      ConfigSpec c = w.config();
      ZoneId zone = w.zone();
      List<ScheduledJob> jobs = new ArrayList<>();
      Map<String, Instant> lastStarts = new LinkedHashMap<>();
      for (JobSpec j : c.jobs().values()) {
        if (j.schedule() == null) {
          continue;
        }
        jobs.add(new ScheduledJob(j.name(), CronSchedule.parse(j.schedule(), zone), j.randomizedDelay()));
        Instant last = state.history(j.name(), 1).stream().map(RunRecord::started).findFirst().orElse(null);
        Instant known = knownStarts.get(j.name());
        if (known != null && (last == null || known.isAfter(last))) {
          last = known;
        }
        if (last != null) {
          lastStarts.put(j.name(), last);
        }
      }
      if (jobs.isEmpty()) {
        log.line("WARNING", "no job in " + c.file() + " has a schedule; nothing to run (add schedule: \"0 3 * * *\")");
      }
      RunListener textfile = textfileWriter(w);
      this.wiring = w;
      RunListener dashboardListener = dashboard == null ? RunListener.NONE : dashboard.runListener();
      // one set of listeners (and one set of notifiers) for backup and mirror jobs alike
      this.listeners = RunListener.all(List.of(w.notifications(log), metrics, textfile, dashboardListener));
      this.runner = w.runnerTelling(state, log, listeners);
      this.scheduler = new Scheduler(jobs, lastStarts, random);
      DaemonLoop loop = new DaemonLoop(scheduler, w.clock(), this::launch);
      loops.add(loop);
      for (ScheduledJob j : jobs) {
        log.line("INFO", "scheduled " + j.name() + " \"" + j.schedule().expression() + "\" (" + zone + "), next "
            + j.schedule().next(w.clock().instant()).map(i -> i.atZone(zone).toString()).orElse("never"));
      }
      loop.start();
    }

    private RunListener textfileWriter(Wiring w) {
      Path dir = w.metricsTextfileDir(null);
      if (dir == null) {
        return RunListener.NONE;
      }
      return new RunListener() {
        @Override
        public void finished(RunRecord r) {
          try {
            metrics.writeTextfile(dir);
          } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot write metrics textfile in " + dir + ": " + e.getMessage(), e);
          }
        }
      };
    }

    /** One due run, on its own thread; the per-job lock keeps a run of the old config and one of the new apart. */
    private void launch(Due due) throws InterruptedException {
      ReentrantLock lock = jobLocks.computeIfAbsent(due.job(), j -> new ReentrantLock());
      lock.lockInterruptibly();
      try {
        Wiring w = wiring;
        JobRunner r = runner;
        JobSpec spec = w.config().jobs().get(due.job());
        if (spec == null) {
          log.line("INFO", "job " + due.job() + " was removed from the config; not running it");
          return;
        }
        log.line("INFO", "starting " + due.job() + " ("
            + (due.kind() == Due.Kind.CATCH_UP ? "catch-up for " : "scheduled for ") + due.scheduledFor() + ")");
        if (MirrorCommand.isMirror(spec)) {
          dev.holdfast.mirror.MirrorJob mirror;
          try {
            mirror = MirrorCommand.job(w, spec);
          } catch (HoldfastException e) {
            log.line("FAILURE", due.job() + ": " + e.getMessage());
            return;
          }
          try {
            MirrorCommand.runner(w, state, log, listeners).run(mirror, line -> {});
          } catch (HoldfastException e) {
            // the mirror runner has logged the FAILURE line and recorded the run
          }
          return;
        }
        Job job;
        try {
          job = w.runnableJob(spec);
        } catch (HoldfastException e) {
          log.line("FAILURE", due.job() + ": " + e.getMessage());
          return;
        }
        try {
          r.run(job, RunSteps.ALL, dashboard == null ? EventSink.NONE : dashboard.eventsFor(due.job()));
        } catch (HoldfastException e) {
          // the runner has logged the FAILURE line and recorded the run
        }
      } finally {
        lock.unlock();
      }
    }

    /** A run asked for on the dashboard: the whole lifecycle now, unless a run of the job is going. */
    RunResult runNow(String name, EventSink events) {
      ReentrantLock lock = jobLocks.computeIfAbsent(name, j -> new ReentrantLock());
      if (!lock.tryLock()) {
        throw new HoldfastException(dev.holdfast.error.ExitCode.LOCKED, "job '" + name + "' is already running");
      }
      try {
        Wiring w = wiring;
        JobSpec spec = w.config().jobs().get(name);
        if (spec == null) {
          throw new HoldfastException(dev.holdfast.error.ExitCode.USAGE, "no job named '" + name + "'");
        }
        if (MirrorCommand.isMirror(spec)) {
          throw new HoldfastException(dev.holdfast.error.ExitCode.USAGE, "'" + name + "' is a mirror job; "
              + "the dashboard runs backup jobs only (mirror jobs run on their schedule, or: holdfast run " + name + ")");
        }
        log.line("INFO", "starting " + name + " (asked for on the dashboard)");
        return runner.run(w.runnableJob(spec), RunSteps.ALL, events);
      } finally {
        lock.unlock();
      }
    }

    private void reload() {
      Wiring fresh = new Wiring(main, spec.commandLine().getErr());
      try {
        fresh.config();
      } catch (ConfigException e) {
        log.line("WARNING", "config reload refused, keeping the running config: "
            + e.problems().stream().map(Object::toString).collect(Collectors.joining("; ")));
        return;
      } catch (HoldfastException e) {
        log.line("WARNING", "config reload refused, keeping the running config: " + e.getMessage());
        return;
      }
      DaemonLoop old = loops.getLast();
      try {
        old.stopScheduling();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      Map<String, Instant> known = new LinkedHashMap<>();
      for (String job : wiring.config().jobs().keySet()) {
        try {
          scheduler.lastStart(job).ifPresent(i -> known.put(job, i));
        } catch (IllegalArgumentException notScheduled) {
          // the job had no schedule
        }
      }
      log.line("INFO", "reloading config from " + fresh.config().file());
      start(fresh, known);
      if (dashboard != null) {
        try {
          dashboard.reload(DaemonDashboard.settings(fresh, fresh.config().web()), listenHost);
          log.line("INFO", "reloaded the dashboard's web: settings (users, token, session timeout)");
        } catch (HoldfastException | IllegalArgumentException e) {
          log.line("WARNING", "the dashboard keeps its previous web: settings: " + e.getMessage());
        }
      }
    }
  }

  private static void printPasswordHash(PrintWriter out) {
    java.io.Console console = System.console();
    char[] pw;
    if (console != null) {
      pw = console.readPassword("password: ");
    } else {
      try {
        String line = new java.io.BufferedReader(new java.io.InputStreamReader(System.in,
            java.nio.charset.StandardCharsets.UTF_8)).readLine();
        pw = line == null ? new char[0] : line.toCharArray();
      } catch (IOException e) {
        throw HoldfastException.usage("cannot read the password from standard input: " + e.getMessage());
      }
    }
    if (pw == null || pw.length == 0) {
      throw HoldfastException.usage("no password given on standard input");
    }
    out.println(PasswordHash.create(pw));
    out.flush();
    java.util.Arrays.fill(pw, '\0');
  }
}
