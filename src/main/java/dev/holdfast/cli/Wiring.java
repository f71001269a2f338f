package dev.holdfast.cli;

import dev.holdfast.archive.ArchiveCatalog;
import dev.holdfast.archive.ArchiveName;
import dev.holdfast.archive.ArchiveSettings;
import dev.holdfast.archive.Compression;
import dev.holdfast.archive.OpenPgpDecryption;
import dev.holdfast.archive.OpenPgpEncryption;
import dev.holdfast.config.EncryptionSpec;
import dev.holdfast.config.RetentionSpec;
import dev.holdfast.retention.CalendarDuration;
import dev.holdfast.retention.RetentionPolicy;
import dev.holdfast.backend.Backend;
import dev.holdfast.backend.LocalBackend;
import dev.holdfast.backend.RetryPolicy;
import dev.holdfast.backend.RetryingBackend;
import dev.holdfast.backend.S3Backend;
import dev.holdfast.backend.S3Credentials;
import dev.holdfast.backend.S3Target;
import dev.holdfast.backend.SftpBackend;
import dev.holdfast.backend.SftpOptions;
import dev.holdfast.backend.SftpTarget;
import dev.holdfast.backend.ThrottledBackend;
import dev.holdfast.config.ConfigLoader;
import dev.holdfast.config.ConfigSpec;
import dev.holdfast.config.JobSpec;
import dev.holdfast.config.LogSpec;
import dev.holdfast.config.NotifySpec;
import dev.holdfast.job.RunListener;
import dev.holdfast.metrics.HoldfastMetrics;
import dev.holdfast.notify.EmailNotifier;
import dev.holdfast.notify.HealthchecksNotifier;
import dev.holdfast.notify.Notice;
import dev.holdfast.notify.Notifications;
import dev.holdfast.notify.Notifier;
import dev.holdfast.notify.NtfyNotifier;
import dev.holdfast.notify.WebhookNotifier;
import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import dev.holdfast.job.Hooks;
import dev.holdfast.job.Job;
import dev.holdfast.job.RepositoryFormat;
import dev.holdfast.job.JobRunner;
import dev.holdfast.job.RunLog;
import dev.holdfast.repository.Repository;
import dev.holdfast.source.CommandSource;
import dev.holdfast.source.DockerVolumeSource;
import dev.holdfast.source.MysqlConnection;
import dev.holdfast.source.MysqlSource;
import dev.holdfast.source.PathSource;
import dev.holdfast.source.PostgresConnection;
import dev.holdfast.source.PostgresSource;
import dev.holdfast.source.Source;
import dev.holdfast.source.SqliteSource;
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

  Map<String, String> env() {
    return env;
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

  /** Options for a target: the config's (by url), then -o options, then --limit-upload. */
  Map<String, String> targetOptions(String url) {
    Map<String, String> o = new java.util.LinkedHashMap<>();
    configIfAny().map(c -> c.targetOptions().get(url)).ifPresent(o::putAll);
    for (var e : main.global.options.entrySet()) {
      String k = e.getKey();
      int dot = k.indexOf('.');
      String key = (dot >= 0 ? k.substring(dot + 1) : k).replace('-', '_');
      if (!ConfigLoader.TARGET_OPTION_KEYS.contains(key)) {
        throw HoldfastException.usage("unknown target option -o " + k,
            "known: " + String.join(", ", ConfigLoader.TARGET_OPTION_KEYS).replace('_', '-'));
      }
      o.put(key, e.getValue());
    }
    if (main.global.limitUpload != null) {
      o.put("limit_upload", main.global.limitUpload);
    }
    return o;
  }

  /** Opens the backend for a target: a path, file://, sftp:// or sftp:host:path, s3://, s3:http://. */
  Backend openBackend(String target) {
    String t = expandHome(target);
    Map<String, String> o = targetOptions(target.equals(t) ? t : target);
    Backend b;
    boolean remote = true;
    if (t.startsWith("sftp:")) {
      b = sftp(t, o);
    } else if (t.startsWith("s3:")) {
      b = s3(t, o);
    } else if (t.startsWith("file://")) {
      b = new LocalBackend(Path.of(URI.create(t)));
      remote = false;
    } else {
      int colon = t.indexOf(':');
      int slash = t.indexOf('/');
      if (colon > 1 && (slash < 0 || colon < slash)) {
        throw HoldfastException.usage("unknown kind of target '" + t.substring(0, colon) + ":' in " + target,
            "use a directory, sftp://user@host/path or s3://bucket/prefix (see docs/targets.md)");
      }
      b = new LocalBackend(Path.of(t));
      remote = false;
    }
    if (remote) {
      int attempts = o.containsKey("retries") ? parseInt(o.get("retries"), "retries") + 1 : RetryPolicy.DEFAULT.maxAttempts();
      RetryPolicy policy = new RetryPolicy(Math.max(1, attempts), RetryPolicy.DEFAULT.baseDelay(), RetryPolicy.DEFAULT.maxDelay());
      b = new RetryingBackend(b, policy, msg -> runLog().line("WARNING", msg));
    }
    if (o.containsKey("limit_upload")) {
      try {
        b = new ThrottledBackend(b, ThrottledBackend.parseRate(o.get("limit_upload")));
      } catch (IllegalArgumentException e) {
        throw HoldfastException.usage("limit-upload: " + e.getMessage());
      }
    }
    return b;
  }

  private static int parseInt(String v, String key) {
    try {
      return Integer.parseInt(v.trim());
    } catch (NumberFormatException e) {
      throw HoldfastException.usage(key + ": '" + v + "' is not a whole number");
    }
  }

  private Path optPath(Map<String, String> o, String key) {
    return o.containsKey(key) ? Path.of(expandHome(o.get(key))) : null;
  }

  /** Reads a secret from a file (first line, without the newline); never logged. */
  char[] secretFile(String what, Path file) {
    try {
      String s = Files.readString(file);
      int nl = s.indexOf('\n');
      return (nl >= 0 ? s.substring(0, nl) : s).replace("\r", "").toCharArray();
    } catch (java.io.IOException e) {
      throw HoldfastException.usage("cannot read " + what + " from " + file + ": " + HoldfastException.reason(e),
          "check the path: the file's first line is the secret");
    }
  }

  /** An SFTP backend for a target with its options, without the retry and throttle decorators (mirror). */
  SftpBackend sftpBackend(String target) {
    String t = expandHome(target);
    return sftp(t, targetOptions(target));
  }

  private SftpBackend sftp(String url, Map<String, String> o) {
    SftpTarget target = SftpTarget.parse(url);
    SftpOptions options = SftpOptions.defaults();
    char[] passphrase = null;
    if (o.containsKey("identity_passphrase_file")) {
      passphrase = secretFile("the SSH key passphrase", optPath(o, "identity_passphrase_file"));
    } else if (env.containsKey("HOLDFAST_SSH_KEY_PASSPHRASE")) {
      passphrase = env.get("HOLDFAST_SSH_KEY_PASSPHRASE").toCharArray();
    }
    if (o.containsKey("identity_file") || passphrase != null) {
      options = options.withIdentityFile(optPath(o, "identity_file"), passphrase);
    }
    if (o.containsKey("known_hosts_file")) {
      options = options.withKnownHostsFile(optPath(o, "known_hosts_file"));
    }
    if (o.containsKey("host_key_policy")) {
      options = options.withHostKeyPolicy(SftpOptions.HostKeyPolicy.parse(o.get("host_key_policy")));
    }
    if (o.containsKey("ssh_config_file")) {
      options = options.withSshConfigFile(optPath(o, "ssh_config_file"));
    }
    if (o.containsKey("connect_timeout")) {
      java.time.Duration d = ConfigLoader.parseDuration(o.get("connect_timeout"));
      if (d == null) {
        throw HoldfastException.usage("connect-timeout: '" + o.get("connect_timeout") + "' is not a duration such as 30s");
      }
      options = options.withConnectTimeout(d);
    }
    return new SftpBackend(target, options);
  }

  private Backend s3(String url, Map<String, String> o) {
    S3Target target = S3Target.parse(url);
    if (o.containsKey("endpoint")) {
      boolean pathStyle = !o.containsKey("path_style") || Boolean.parseBoolean(o.get("path_style"));
      target = target.withEndpoint(URI.create(o.get("endpoint")), pathStyle);
    } else if (o.containsKey("path_style")) {
      target = target.withEndpoint(target.endpoint(), Boolean.parseBoolean(o.get("path_style")));
    }
    if (o.containsKey("region")) {
      target = target.withRegion(o.get("region"));
    }
    if (o.containsKey("storage_class")) {
      target = target.withStorageClass(o.get("storage_class"));
    }
    if (o.containsKey("part_size")) {
      target = target.withPartSize((int) ThrottledBackend.parseRate(o.get("part_size")));
    }
    if (o.containsKey("access_key_id_file") || o.containsKey("secret_access_key_file")) {
      if (!o.containsKey("access_key_id_file") || !o.containsKey("secret_access_key_file")) {
        throw HoldfastException.usage("give both access-key-id-file and secret-access-key-file, or neither "
            + "(then AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or the AWS profile are used)");
      }
      target = target.withCredentials(new S3Credentials(
          new String(secretFile("the S3 access key id", optPath(o, "access_key_id_file"))),
          new String(secretFile("the S3 secret key", optPath(o, "secret_access_key_file")))));
    }
    return new S3Backend(target);
  }

  ArchiveCatalog catalog(Backend backend) {
    return new ArchiveCatalog(backend, zone());
  }

  StateStore openState() {
    return StateStore.open(stateDir().resolve("state.db"));
  }

  RunLog runLog() {
    return runLog(err);
  }

  /** The run log, echoing to {@code console}, rotated as the config's {@code log:} says. */
  RunLog runLog(PrintWriter console) {
    LogSpec l = configIfAny().map(ConfigSpec::log).orElse(LogSpec.defaults());
    return new RunLog(console, logFile(), clock, zone(), main.global.quiet, l.maxSize(), l.keep());
  }

  JobRunner runner(StateStore state, RunLog log) {
    return runner(state, log, RunListener.NONE);
  }

  /** A runner that tells {@code extra} and the configured jobs' notifiers about each run. */
  JobRunner runner(StateStore state, RunLog log, RunListener extra) {
    return runnerTelling(state, log, RunListener.all(List.of(notifications(log), extra)));
  }

  /** A runner that tells exactly {@code listeners} (which should include {@link #notifications}). */
  JobRunner runnerTelling(StateStore state, RunLog log, RunListener listeners) {
    return new JobRunner(stateDir(), state, log, this::openBackend, clock, zone(), host(), listeners);
  }

  /** Dispatches to the notifiers of the job that runs (ad-hoc jobs have none). */
  RunListener notifications(RunLog log) {
    Map<String, Notifications> byJob = new java.util.HashMap<>();
    configIfAny().ifPresent(c -> c.jobs().values().forEach(j -> {
      if (!j.notifiers().isEmpty()) {
        byJob.put(j.name(), new Notifications(j.notifiers().stream().map(this::notifier).toList(), log, host()));
      }
    }));
    return new RunListener() {
      @Override
      public void started(String job, java.time.Instant at) {
        if (byJob.containsKey(job)) {
          byJob.get(job).started(job, at);
        }
      }

      @Override
      public void finished(dev.holdfast.state.RunRecord r) {
        if (byJob.containsKey(r.job())) {
          byJob.get(r.job()).finished(r);
        }
      }
    };
  }

  Notifier notifier(NotifySpec s) {
    java.util.Set<Notice.Kind> on = s.on().stream()
        .map(o -> Notice.Kind.valueOf(o.toUpperCase(java.util.Locale.ROOT)))
        .collect(java.util.stream.Collectors.toSet());
    return switch (s) {
      case NotifySpec.Email e -> new EmailNotifier(
          new EmailNotifier.Smtp(e.smtpHost(), e.smtpPort(), e.starttls(), e.tls(), e.username(),
              e.passwordFile() == null ? null : Path.of(expandHome(e.passwordFile())),
              e.caFile() == null ? null : Path.of(expandHome(e.caFile()))),
          e.from(), e.to(), on);
      case NotifySpec.Webhook h -> new WebhookNotifier(URI.create(h.url()), on);
      case NotifySpec.Healthchecks h -> new HealthchecksNotifier(URI.create(h.url()));
      case NotifySpec.Ntfy n -> new NtfyNotifier(URI.create(n.url()), on);
    };
  }

  /** The textfile directory: the option's, else the config's metrics.textfile_dir, else none. */
  Path metricsTextfileDir(Path option) {
    if (option != null) {
      return option;
    }
    String d = configIfAny().map(c -> c.metrics().textfileDir()).orElse(null);
    return d == null ? null : Path.of(expandHome(d));
  }

  /** Every run of the history, for seeding metrics. */
  static HoldfastMetrics metrics(StateStore state) {
    return new HoldfastMetrics(state.history(null, Integer.MAX_VALUE));
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
    List<Source> sources = sources(s.sources(), s.exclude(), s.excludeIfPresent(), s.oneFileSystem());
    Compression c = s.compression() == null ? Compression.GZIP : Compression.parse(s.compression());
    ArchiveSettings settings =
        new ArchiveSettings(
            c,
            s.level() == null ? c.defaultLevel() : s.level(),
            s.threads() == null ? Runtime.getRuntime().availableProcessors() : s.threads(),
            ArchiveName.of(s.archiveName() == null ? ArchiveName.DEFAULT_TEMPLATE : s.archiveName()));
    Hooks hooks = new Hooks(s.beforeHooks(), s.afterHooks(), s.onFailureHooks(), s.hookTimeout());
    VerifyLevel verify = s.verify().equals("none") ? null : VerifyLevel.parse(s.verify());
    List<Job.Offsite> offsite =
        s.offsite().stream().map(o -> new Job.Offsite(expandHome(o.target()), policy(o.retention()))).toList();
    return new Job(s.name(), sources, expandHome(s.target()), settings, hooks, verify, offsite,
        policy(s.retention()), s.forgetAfterFailure(), s.maxAge(), s.tags(), null,
        s.format().equals("repository") ? new RepositoryFormat(() -> repositoryPassword(null, s),
            main.global.retryLock == null && s.retryLock() != null ? s.retryLock() : retryLock()) : null);
  }

  /**
   * Sources from a job's items: database URIs each become their own source; the paths together
   * form one PathSource (first, in the order given).
   */
  List<Source> sources(List<String> items, List<String> exclude, List<String> markers, boolean oneFileSystem) {
    List<String> paths = new ArrayList<>();
    List<Source> others = new ArrayList<>();
    for (String item : items) {
      if (PostgresConnection.isUri(item)) {
        others.add(new PostgresSource(PostgresConnection.parse(item), env));
      } else if (MysqlConnection.isUri(item)) {
        others.add(new MysqlSource(MysqlConnection.parse(item), env));
      } else if (item.startsWith("sqlite://")) {
        others.add(SqliteSource.parse(item));
      } else if (item.startsWith("docker-volume:")) {
        others.add(DockerVolumeSource.parse(item, env));
      } else if (item.startsWith("command:")) {
        others.add(CommandSource.parse(item));
      } else {
        int colon = item.indexOf(':');
        int slash = item.indexOf('/');
        if (colon > 1 && (slash < 0 || colon < slash)) {
          throw HoldfastException.usage("unknown kind of source '" + item.substring(0, colon) + ":' in " + item,
              "use a path, postgresql://user@host/db, mariadb://user@host/db or sqlite:///path/to.db (see docs/databases.md)");
        }
        paths.add(expandHome(item));
      }
    }
    List<Source> out = new ArrayList<>();
    if (!paths.isEmpty()) {
      out.add(new PathSource(paths, exclude, markers, oneFileSystem));
    }
    out.addAll(others);
    return out;
  }

  static RetentionPolicy policy(RetentionSpec r) {
    return new RetentionPolicy(r.keepLast(), r.keepHourly(), r.keepDaily(), r.keepWeekly(), r.keepMonthly(),
        r.keepYearly(), r.keepWithin() == null ? CalendarDuration.ZERO : CalendarDuration.parse(r.keepWithin()));
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

  /** A decryptor from --identity / --passphrase-file / HOLDFAST_PASSPHRASE, else from the job's config; or null. */
  OpenPgpDecryption decryption(KeyOptions k, String jobName) {
    char[] pass = null;
    if (k != null && k.passphraseFile != null) {
      pass = secretFile("the passphrase", k.passphraseFile);
    } else if (env.containsKey("HOLDFAST_PASSPHRASE")) {
      pass = env.get("HOLDFAST_PASSPHRASE").toCharArray();
    }
    if (k != null && k.identity != null) {
      return OpenPgpDecryption.create(Path.of(expandHome(k.identity.toString())), pass, pass);
    }
    if (pass != null) {
      return OpenPgpDecryption.withPassphrase(pass);
    }
    if (jobName != null && configIfAny().map(c -> c.jobs().containsKey(jobName)).orElse(false)) {
      return decryption(jobSpec(jobName).encryption());
    }
    return null;
  }

  /** The decryptor a job's own verify steps use: its identity file, else its passphrase file. */
  OpenPgpDecryption decryption(EncryptionSpec e) {
    if (e == null) {
      return null;
    }
    char[] msgPass = passphrase(e);
    if (e.identityFile() != null) {
      char[] keyPass = e.identityPassphraseFile() == null ? null
          : secretFile("the key passphrase", Path.of(expandHome(e.identityPassphraseFile())));
      return OpenPgpDecryption.create(Path.of(expandHome(e.identityFile())), keyPass, msgPass);
    }
    return msgPass == null ? null : OpenPgpDecryption.withPassphrase(msgPass);
  }

  /** A job's symmetric passphrase, from its passphrase_file or passphrase_env; null when it has none. */
  private char[] passphrase(EncryptionSpec e) {
    if (e.passphraseFile() != null) {
      return secretFile("the passphrase", Path.of(expandHome(e.passphraseFile())));
    }
    return e.passphraseEnv() == null ? null : envSecret(e.passphraseEnv());
  }

  /** A secret from the environment variable {@code name}; never echoed in messages. */
  char[] envSecret(String name) {
    String v = env.get(name);
    if (v == null || v.isEmpty()) {
      throw HoldfastException.usage("the environment variable " + name + " that should hold the passphrase is not set",
          "export " + name + " in the environment that runs holdfast (e.g. the systemd unit's EnvironmentFile)");
    }
    return v.toCharArray();
  }

  /**
   * The encryptor for a backup from recipient key files and/or a passphrase (null when neither is
   * given); checks the keys now, before any data is read.
   */
  OpenPgpEncryption encryption(List<String> recipientFiles, char[] pass) {
    if (recipientFiles.isEmpty() && pass == null) {
      return null;
    }
    List<Path> keys = recipientFiles.stream().map(f -> Path.of(expandHome(f))).toList();
    return OpenPgpEncryption.create(keys, pass, clock);
  }

  /**
   * The repository password: {@code --password-file}, else the job's {@code password_file} or
   * {@code password_env}, else $HOLDFAST_PASSWORD, $RESTIC_PASSWORD, $RESTIC_PASSWORD_FILE (so a
   * restic user's environment works). Never taken from the command line itself.
   */
  String repositoryPassword(Path passwordFile, JobSpec job) {
    if (passwordFile != null) {
      return passwordFile("the repository password", Path.of(expandHome(passwordFile.toString())));
    }
    if (job != null && job.passwordFile() != null) {
      return passwordFile("the repository password", Path.of(expandHome(job.passwordFile())));
    }
    if (job != null && job.passwordEnv() != null) {
      return new String(envSecret(job.passwordEnv()));
    }
    for (String var : List.of("HOLDFAST_PASSWORD", "RESTIC_PASSWORD")) {
      String v = env.get(var);
      if (v != null && !v.isEmpty()) {
        return v;
      }
    }
    String file = env.get("RESTIC_PASSWORD_FILE");
    if (file != null && !file.isEmpty()) {
      return passwordFile("the repository password ($RESTIC_PASSWORD_FILE)", Path.of(expandHome(file)));
    }
    throw HoldfastException.usage("no repository password given",
        "pass --password-file FILE, or set HOLDFAST_PASSWORD (RESTIC_PASSWORD and RESTIC_PASSWORD_FILE work too)");
  }

  /**
   * A repository password file read as restic reads {@code --password-file}: the whole file with
   * the white space around it trimmed (a trailing space or CR/LF is not part of the password, or
   * restic could not open the repository with the same file). An empty one is refused, as restic
   * refuses it ("an empty password is not a password").
   */
  String passwordFile(String what, Path file) {
    String s;
    try {
      s = Files.readString(file);
    } catch (java.io.IOException e) {
      throw HoldfastException.usage("cannot read " + what + " from " + file + ": " + HoldfastException.reason(e),
          "check the path");
    }
    s = s.strip();
    if (s.startsWith("\uFEFF")) {
      s = s.substring(1).strip(); // a byte order mark, as an editor may write it; restic drops it too
    }
    if (s.isEmpty()) {
      throw HoldfastException.usage(what + " file " + file + " is empty", "write the password into it");
    }
    return s;
  }

  /** Whether a target holds a repository: a {@code config} object and key files at its root. */
  static boolean holdsRepository(Backend b) {
    try {
      return Repository.existsAt(b);
    } catch (java.io.IOException e) {
      throw HoldfastException.io("looking for a repository at " + b.location(), e);
    }
  }

  /** Opens the repository on {@code b}, with the password from {@code passwordFile} or the environment. */
  Repository openRepository(Backend b, Path passwordFile, String job) {
    JobSpec spec = job != null && configIfAny().map(c -> c.jobs().containsKey(job)).orElse(false) ? jobSpec(job) : null;
    return withLockPolicy(Repository.openDeferringIndex(b, repositoryPassword(passwordFile, spec)));
  }

  /** Locks taken on {@code repo} wait as --retry-lock says, and removed stale locks go to the run log. */
  Repository withLockPolicy(Repository repo) {
    repo.setLockPolicy(retryLock(), lockEvents());
    return repo;
  }

  /** Removed stale locks as WARNING lines in the run log, lock waits as INFO. */
  dev.holdfast.event.EventSink lockEvents() {
    RunLog log = runLog();
    return e -> {
      if (e instanceof dev.holdfast.event.BackupEvent.Attention a) {
        log.line("WARNING", a.message());
      } else if (e instanceof dev.holdfast.event.BackupEvent.Note n) {
        log.line("INFO", n.message());
      }
    };
  }

  /** The global --retry-lock duration; zero when not given. */
  java.time.Duration retryLock() {
    String v = main.global.retryLock;
    if (v == null) {
      return java.time.Duration.ZERO;
    }
    java.time.Duration d = ConfigLoader.parseDuration(v);
    if (d == null) {
      throw HoldfastException.usage("--retry-lock: '" + v + "' is not a duration such as 30s, 10m or 2h");
    }
    return d;
  }

  /** A repository's snapshots as backups, oldest first; only {@code job}'s (its first tag) when one is given. */
  List<dev.holdfast.format.BackupRef> snapshots(Backend b, Path passwordFile, String job) {
    // The listing itself needs no index, but it still reads it, so that `list` (and
    // bench/index-memory.sh, IndexHeapIT) keep checking that the repository's index fits this run's heap.
    try (Repository repo = openRepository(b, passwordFile, job)) {
      repo.loadIndex();
      return new dev.holdfast.repository.RepositoryCatalog(repo).list().stream()
          .filter(r -> job == null || job.equals(r.job())).toList();
    }
  }

  /** Repositories cannot be copied or thinned out by Holdfast yet; says so instead of finding no archives. */
  static void refuseRepository(Backend b, String what, String resticHint) {
    if (holdsRepository(b)) {
      throw HoldfastException.usage(what + " is not implemented for repositories yet (" + b.location() + " holds one)",
          "use " + resticHint + " meanwhile; see docs/repository.md");
    }
  }

  /** A snapshot by selector ("latest", an id or a unique prefix); "latest" of {@code job} when one is given. */
  static dev.holdfast.format.BackupRef selectSnapshot(Repository repo, String selector, String job) {
    var catalog = new dev.holdfast.repository.RepositoryCatalog(repo);
    if (job != null && (selector == null || selector.equals("latest"))) {
      List<dev.holdfast.format.BackupRef> mine = catalog.list().stream().filter(r -> job.equals(r.job())).toList();
      if (mine.isEmpty()) {
        throw new HoldfastException(ExitCode.TARGET_MISSING, "no snapshots of job '" + job + "' in " + repo.backend().location());
      }
      return mine.get(mine.size() - 1);
    }
    return catalog.find(selector == null ? "latest" : selector);
  }

  /** A job ready to run: with its encryption keys loaded and checked. */
  Job runnableJob(JobSpec s) {
    Job j = job(s);
    EncryptionSpec e = s.encryption();
    if (e == null) {
      return j;
    }
    OpenPgpEncryption enc = encryption(e.recipients(), passphrase(e));
    return j.withArchive(j.archive().withEncryption(enc), decryption(e));
  }
}
