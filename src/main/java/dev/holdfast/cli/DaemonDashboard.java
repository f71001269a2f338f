package dev.holdfast.cli;

import dev.holdfast.archive.OpenPgpDecryption;
import dev.holdfast.backend.Backend;
import dev.holdfast.config.JobSpec;
import dev.holdfast.config.WebSpec;
import dev.holdfast.error.HoldfastException;
import dev.holdfast.event.EventSink;
import dev.holdfast.job.Job;
import dev.holdfast.job.RunLog;
import dev.holdfast.job.RunResult;
import dev.holdfast.schedule.CronSchedule;
import dev.holdfast.state.StateStore;
import dev.holdfast.web.DashboardContext;
import dev.holdfast.web.PasswordHash;
import dev.holdfast.web.Role;
import dev.holdfast.web.WebSettings;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.function.Supplier;

/** The daemon's side of the dashboard: its current config's jobs and services, and its way of running a job. */
final class DaemonDashboard implements DashboardContext {
  private final Supplier<Wiring> wiring;
  private final StateStore state;
  private final RunLog log;
  private final BiFunction<String, EventSink, RunResult> runner;

  DaemonDashboard(Supplier<Wiring> wiring, StateStore state, RunLog log, BiFunction<String, EventSink, RunResult> runner) {
    this.wiring = wiring;
    this.state = state;
    this.log = log;
    this.runner = runner;
  }

  /** The config's web: settings, resolved: the token read from its file, hashes parsed. */
  static WebSettings settings(Wiring w, WebSpec spec) {
    List<WebSettings.User> users = new ArrayList<>();
    for (WebSpec.User u : spec.users()) {
      users.add(new WebSettings.User(u.name(), PasswordHash.parse(u.passwordHash()), Role.parse(u.role())));
    }
    String token = null;
    if (spec.tokenFile() != null) {
      token = new String(w.secretFile("the dashboard's bearer token", Path.of(w.expandHome(spec.tokenFile())))).strip();
      if (token.length() < 16) {
        throw HoldfastException.usage("web.token_file: the token in " + spec.tokenFile() + " is shorter than 16 characters",
            "make one with: head -c 32 /dev/urandom | base64 > " + spec.tokenFile());
      }
    }
    return WebSettings.of(users, token, spec.sessionTimeout());
  }

  @Override
  public List<Job> jobs() {
    Wiring w = wiring.get();
    // mirror jobs keep no backups to list or browse; `holdfast status` reports them
    return w.config().jobs().values().stream().filter(s -> !MirrorCommand.isMirror(s)).map(w::job).toList();
  }

  @Override
  public List<Mirror> mirrors() {
    Wiring w = wiring.get();
    return w.config().jobs().values().stream().filter(MirrorCommand::isMirror)
        .map(s -> new Mirror(s.name(), s.sources(), w.expandHome(s.target()), s.maxAge())).toList();
  }

  private Optional<JobSpec> spec(String job) {
    return Optional.ofNullable(wiring.get().config().jobs().get(job));
  }

  @Override
  public Optional<String> schedule(String job) {
    return spec(job).map(JobSpec::schedule);
  }

  @Override
  public Optional<Instant> nextRun(String job) {
    Wiring w = wiring.get();
    return schedule(job).flatMap(s -> CronSchedule.parse(s, w.zone()).next(w.clock().instant()));
  }

  @Override
  public Backend openBackend(String target) {
    return wiring.get().openBackend(target);
  }

  @Override
  public OpenPgpDecryption decryption(String job) {
    return spec(job).map(s -> wiring.get().decryption(s.encryption())).orElse(null);
  }

  @Override
  public Map<String, String> env() {
    return wiring.get().env();
  }

  @Override
  public StateStore state() {
    return state;
  }

  @Override
  public RunLog log() {
    return log;
  }

  @Override
  public Clock clock() {
    return wiring.get().clock();
  }

  @Override
  public ZoneId zone() {
    return wiring.get().zone();
  }

  @Override
  public String host() {
    return wiring.get().host();
  }

  @Override
  public Path stateDir() {
    return wiring.get().stateDir();
  }

  @Override
  public RunResult runNow(String job, EventSink events) {
    return runner.apply(job, events);
  }
}
