package dev.holdfast.web;

import dev.holdfast.archive.ArchiveName;
import dev.holdfast.archive.ArchiveSettings;
import dev.holdfast.archive.Compression;
import dev.holdfast.archive.OpenPgpDecryption;
import dev.holdfast.backend.Backend;
import dev.holdfast.backend.LocalBackend;
import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import dev.holdfast.event.EventSink;
import dev.holdfast.job.Hooks;
import dev.holdfast.job.Job;
import dev.holdfast.job.JobRunner;
import dev.holdfast.job.RunListener;
import dev.holdfast.job.RunLog;
import dev.holdfast.job.RunResult;
import dev.holdfast.job.RunSteps;
import dev.holdfast.metrics.HoldfastMetrics;
import dev.holdfast.metrics.MetricsServer;
import dev.holdfast.retention.CalendarDuration;
import dev.holdfast.retention.RetentionPolicy;
import dev.holdfast.source.PathSource;
import dev.holdfast.state.StateStore;
import dev.holdfast.testkit.Trees;
import dev.holdfast.verify.VerifyLevel;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The dashboard on a real listener, over real components: a state store, a run log, a job runner
 * backing up a generated tree to a local target with an off-site copy and keep-last-2 retention.
 * What the daemon's context does with its config, this does with a fixed job.
 */
final class WebFixture implements DashboardContext, AutoCloseable {
  static final String JOB = "docs";
  final Path root;
  final Path source;
  final Path target;
  final Path offsite;
  final Path stateDir;
  final StateStore state;
  final RunLog log;
  volatile Job job;
  private volatile OpenPgpDecryption key;
  final Dashboard dashboard;
  final MetricsServer server;
  final String host;
  private final JobRunner runner;
  private final ReentrantLock lock = new ReentrantLock();
  /** Upload rate limit of the primary target in bytes per second (0: none), to make runs last. */
  volatile long throttle;
  private final StringWriter console = new StringWriter();
  /** The mirror jobs the dashboard is told about. */
  volatile List<DashboardContext.Mirror> mirrors = List.of();

  private final Map<String, String> env;

  WebFixture(Path root, String listenHost, WebSettings settings) throws IOException {
    this(root, listenHost, settings, List.of(), Map.of());
  }

  /** With more sources besides the generated tree (a database), and the environment they and restores use. */
  WebFixture(Path root, String listenHost, WebSettings settings, List<dev.holdfast.source.Source> more,
      Map<String, String> env) throws IOException {
    this.root = root;
    this.env = Map.copyOf(env);
    this.host = listenHost;
    source = root.resolve("src");
    target = root.resolve("target");
    offsite = root.resolve("offsite");
    stateDir = root.resolve("state");
    Random r = new Random(42);
    Trees.randomFile(source.resolve("notes/a.txt"), r, 12_345);
    Trees.randomFile(source.resolve("notes/deep/b.bin"), r, 200_000);
    Trees.randomFile(source.resolve("photos/c [1].jpg"), r, 70_000);
    Files.writeString(source.resolve("readme.md"), "# hello\n");
    state = StateStore.open(stateDir.resolve("state.db"));
    log = new RunLog(new PrintWriter(console, true), stateDir.resolve("holdfast.log"), Clock.systemUTC(), ZoneOffset.UTC, false);
    List<dev.holdfast.source.Source> sources = new java.util.ArrayList<>();
    sources.add(new PathSource(List.of(source.toString()), List.of(), List.of(), false));
    sources.addAll(more);
    job = new Job(JOB, List.copyOf(sources), target.toString(),
        new ArchiveSettings(Compression.GZIP, 6, 1, ArchiveName.of(ArchiveName.DEFAULT_TEMPLATE)), Hooks.none(),
        VerifyLevel.QUICK, List.of(new Job.Offsite(offsite.toString(), RetentionPolicy.none())),
        new RetentionPolicy(2, 0, 0, 0, 0, 0, CalendarDuration.ZERO), false, Duration.ofHours(25), List.of(), null, null);
    dashboard = new Dashboard(this, settings);
    runner = new JobRunner(stateDir, state, log, this::openBackend, Clock.systemUTC(), ZoneOffset.UTC,
        "testhost", RunListener.all(List.of(dashboard.runListener())));
    server = MetricsServer.start(new HoldfastMetrics(List.of()), listenHost, 0);
    server.mount("/", dashboard);
  }

  /** One backup run, as the schedule would start it. */
  RunResult backup() {
    return runNow(JOB, dashboard.eventsFor(JOB));
  }

  /** A backup without the lifecycle's later steps (no verify, copy or retention). */
  RunResult backupOnly() {
    return runner.run(job, RunSteps.BACKUP_ONLY, dev.holdfast.event.EventSink.NONE);
  }

  String base() {
    String h = host.contains(":") ? "[" + host + "]" : host;
    return "http://" + h + ":" + server.port();
  }

  URI uri(String path) {
    return URI.create(base() + path);
  }

  String logText() throws IOException {
    Path f = stateDir.resolve("holdfast.log");
    return Files.exists(f) ? Files.readString(f) : "";
  }

  /** An HTTP client call: method, path, optional JSON body, extra headers. */
  HttpResponse<byte[]> call(String method, String path, String json, Map<String, String> headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(60));
    headers.forEach(b::header);
    if (json != null) {
      b.header("Content-Type", "application/json");
      b.method(method, HttpRequest.BodyPublishers.ofString(json));
    } else {
      b.method(method, HttpRequest.BodyPublishers.noBody());
    }
    try (HttpClient c = HttpClient.newHttpClient()) {
      return c.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }
  }

  @Override
  public List<Job> jobs() {
    return List.of(job);
  }

  @Override
  public List<DashboardContext.Mirror> mirrors() {
    return mirrors;
  }

  @Override
  public Optional<String> schedule(String j) {
    return Optional.of("0 3 * * *");
  }

  @Override
  public Optional<Instant> nextRun(String j) {
    return Optional.of(Instant.now().plus(Duration.ofHours(3)));
  }

  @Override
  public Backend openBackend(String t) {
    Backend b = new LocalBackend(Path.of(t));
    return throttle > 0 && t.equals(target.toString()) ? new dev.holdfast.backend.ThrottledBackend(b, throttle) : b;
  }

  @Override
  public OpenPgpDecryption decryption(String j) {
    return key;
  }

  /** From now on, backups are encrypted with this passphrase (as with encryption.passphrase_file). */
  void encryptWith(String passphrase) {
    key = OpenPgpDecryption.withPassphrase(passphrase.toCharArray());
    job = job.withArchive(job.archive().withEncryption(
        dev.holdfast.archive.OpenPgpEncryption.withPassphrase(passphrase.toCharArray())), key);
  }

  @Override
  public Map<String, String> env() {
    return env;
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
    return Clock.systemUTC();
  }

  @Override
  public ZoneId zone() {
    return ZoneOffset.UTC;
  }

  @Override
  public String host() {
    return "testhost";
  }

  @Override
  public Path stateDir() {
    return stateDir;
  }

  @Override
  public RunResult runNow(String j, EventSink events) {
    if (!lock.tryLock()) {
      throw new HoldfastException(ExitCode.LOCKED, "job '" + j + "' is already running");
    }
    try {
      return runner.run(job, RunSteps.ALL, events);
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void close() {
    server.close();
    state.close();
  }
}
