package dev.holdfast.cli;

import dev.holdfast.archive.ArchiveCatalog;
import dev.holdfast.archive.ArchiveName;
import dev.holdfast.archive.ArchiveSettings;
import dev.holdfast.archive.Compression;
import dev.holdfast.backend.Backend;
import dev.holdfast.backend.LocalBackend;
import dev.holdfast.config.ConfigLoader;
import dev.holdfast.config.ConfigSpec;
import dev.holdfast.config.JobSpec;
import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import dev.holdfast.job.Hooks;
import dev.holdfast.job.Job;
import dev.holdfast.job.JobRunner;
import dev.holdfast.job.RunLog;
import dev.holdfast.source.PathSource;
import dev.holdfast.state.StateStore;
import dev.holdfast.verify.VerifyLevel;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Builds the object graph for one command: config, state, run log, backends, jobs. The only place
 * that turns config specs into domain objects.
 */
final class Wiring {
  private final Main main;
  private final Map<String, String> env;
  private final PrintWriter err;
  private final Clock clock = Clock.systemUTC();
  private ConfigSpec config;
  private boolean configLoaded;

  Wiring(Main main, PrintWriter err) {
    this.main = main;
    this.env = main.env;
    this.err = err;
  }

  GlobalOptions global() {
    return main.global;
  }

  Clock clock() {
    return clock;
  }

  /** The config file to use, if one was given or exists in a default place. */
  Optional<Path> configFile() {
    if (main.global.config != null) {
      return Optional.of(main.global.config);
    }
    if (env.containsKey("HOLDFAST_CONFIG")) {
      return Optional.of(Path.of(env.get("HOLDFAST_CONFIG")));
    }
    for (Path p : defaultConfigFiles()) {
      if (Files.isRegularFile(p)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  private List<Path> defaultConfigFiles() {
    List<Path> out = new ArrayList<>();
    String xdg = env.get("XDG_CONFIG_HOME");
    if (xdg != null && !xdg.isBlank()) {
      out.add(Path.of(xdg, "holdfast", "holdfast.yaml"));
    } else if (home() != null) {
      out.add(Path.of(home(), ".config", "holdfast", "holdfast.yaml"));
    }
    out.add(Path.of("/etc/holdfast/holdfast.yaml"));
    return out;
  }

  private String home() {
    return env.getOrDefault("HOME", System.getProperty("user.home"));
  }

  Optional<ConfigSpec> configIfAny() {
    if (!configLoaded) {
      configLoaded = true;
      config = configFile().map(f -> ConfigLoader.load(f, env)).orElse(null);
    }
    return Optional.ofNullable(config);
  }

  ConfigSpec config() {
    return configIfAny()
        .orElseThrow(() -> HoldfastException.usage(
            "no config file found (looked for " + defaultConfigFiles() + ")",
            "pass --config FILE, or use a target directly: --to DIR / --from DIR"));
  }

  Path stateDir() {
    String fromConfig = configIfAny().map(ConfigSpec::stateDir).orElse(null);
    if (fromConfig != null) {
      return Path.of(expandHome(fromConfig));
    }
    if (env.containsKey("HOLDFAST_STATE_DIR")) {
      return Path.of(env.get("HOLDFAST_STATE_DIR"));
    }
    if ("root".equals(System.getProperty("user.name"))) {
      return Path.of("/var/lib/holdfast");
    }
    String xdg = env.get("XDG_STATE_HOME");
    return xdg != null && !xdg.isBlank() ? Path.of(xdg, "holdfast") : Path.of(home(), ".local", "state", "holdfast");
  }

  Path logFile() {
    String fromConfig = configIfAny().map(ConfigSpec::logFile).orElse(null);
    return fromConfig != null ? Path.of(expandHome(fromConfig)) : stateDir().resolve("holdfast.log");
  }

  ZoneId zone() {
    String z = configIfAny().map(ConfigSpec::timeZone).orElse(null);
    return z != null ? ZoneId.of(z) : ZoneId.systemDefault();
  }

  String host() {
    String h = configIfAny().map(ConfigSpec::host).orElse(null);
    if (h != null) {
      return h;
    }
    try {
      String name = InetAddress.getLocalHost().getHostName();
      int dot = name.indexOf('.');
      return dot > 0 ? name.substring(0, dot) : name;
    } catch (java.io.IOException e) {
      return env.getOrDefault("HOSTNAME", "localhost");
    }
  }

  String expandHome(String p) {
    if (p.equals("~")) {
      return home();
    }
    return p.startsWith("~/") ? home() + p.substring(1) : p;
  }

  /** Opens the backend for a target: a path, or a file:// URL. */
  Backend openBackend(String target) {
    String t = expandHome(target);
    if (t.startsWith("file://")) {
      return new LocalBackend(Path.of(URI.create(t)));
    }
    int colon = t.indexOf(':');
    if (colon > 1 && !t.startsWith("/")) {
      String scheme = t.substring(0, colon);
      throw new HoldfastException(ExitCode.USAGE,
          "targets of type '" + scheme + ":' are not supported by this version: " + target,
          "use a local directory or a mounted share");
    }
    return new LocalBackend(Path.of(t));
  }

  ArchiveCatalog catalog(Backend backend) {
    return new ArchiveCatalog(backend, zone());
  }

  StateStore openState() {
    return StateStore.open(stateDir().resolve("state.db"));
  }

  RunLog runLog() {
    return new RunLog(err, logFile(), clock, zone(), main.global.quiet);
  }

  JobRunner runner(StateStore state, RunLog log) {
    return new JobRunner(stateDir(), state, log, this::openBackend, clock, zone(), host());
  }

  JobSpec jobSpec(String name) {
    ConfigSpec c = config();
    JobSpec j = c.jobs().get(name);
    if (j == null) {
      throw HoldfastException.usage("no job named '" + name + "' in " + c.file(),
          "jobs defined there: " + String.join(", ", c.jobs().keySet()));
    }
    return j;
  }

  Job job(JobSpec s) {
    List<String> sources = s.sources().stream().map(this::expandHome).toList();
    PathSource source = new PathSource(sources, s.exclude(), s.excludeIfPresent(), s.oneFileSystem());
    Compression c = s.compression() == null ? Compression.GZIP : Compression.parse(s.compression());
    ArchiveSettings settings =
        new ArchiveSettings(
            c,
            s.level() == null ? c.defaultLevel() : s.level(),
            s.threads() == null ? Runtime.getRuntime().availableProcessors() : s.threads(),
            ArchiveName.of(s.archiveName() == null ? ArchiveName.DEFAULT_TEMPLATE : s.archiveName()));
    Hooks hooks = new Hooks(s.beforeHooks(), s.afterHooks(), s.onFailureHooks(), s.hookTimeout());
    VerifyLevel verify = s.verify().equals("none") ? null : VerifyLevel.parse(s.verify());
    List<String> offsite = s.offsite().stream().map(o -> expandHome(o.target())).toList();
    return new Job(s.name(), List.of(source), expandHome(s.target()), settings, hooks, verify, offsite,
        s.maxAge(), s.tags());
  }

  /** A target opened for reading, optionally narrowed to one job's backups. */
  record Opened(Backend backend, ArchiveCatalog catalog, String job) implements AutoCloseable {
    List<ArchiveCatalog.Item> items() {
      return catalog.items().stream().filter(i -> job == null || job.equals(i.ref().job())).toList();
    }

    ArchiveCatalog.Item select(String selector) {
      if (job != null && (selector == null || selector.equals("latest"))) {
        List<ArchiveCatalog.Item> mine = items();
        if (mine.isEmpty()) {
          throw new HoldfastException(ExitCode.TARGET_MISSING,
              "no backups of job '" + job + "' on " + backend.location());
        }
        return mine.get(mine.size() - 1);
      }
      return catalog.item(selector);
    }

    @Override
    public void close() {
      backend.close();
    }
  }

  Opened open(TargetOptions t) {
    if (t.from != null && t.job != null) {
      Backend b = openBackend(t.from);
      return new Opened(b, catalog(b), t.job);
    }
    if (t.from != null) {
      Backend b = openBackend(t.from);
      return new Opened(b, catalog(b), null);
    }
    if (t.job != null) {
      Job j = job(jobSpec(t.job));
      Backend b = openBackend(j.target());
      return new Opened(b, catalog(b), j.name());
    }
    ConfigSpec c = configIfAny().orElseThrow(() ->
        HoldfastException.usage("no target given", "pass --from TARGET or --job JOB"));
    if (c.jobs().size() != 1) {
      throw HoldfastException.usage("several jobs are configured; say which: --job JOB (or --from TARGET)",
          "jobs: " + String.join(", ", c.jobs().keySet()));
    }
    Job j = job(c.jobs().values().iterator().next());
    Backend b = openBackend(j.target());
    return new Opened(b, catalog(b), j.name());
  }
}
