package dev.holdfast.metrics;

import dev.holdfast.job.RunListener;
import dev.holdfast.state.RunRecord;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Holdfast's Prometheus metrics, one registry per process. Seeded from the run history so the
 * gauges and counters carry over restarts and one-shot runs (a textfile written by {@code
 * holdfast run} has the same totals the daemon serves); then updated by each finished run.
 */
public final class HoldfastMetrics implements RunListener {
  /** The node-exporter textfile collector reads {@code *.prom}. */
  public static final String TEXTFILE_NAME = "holdfast.prom";

  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final Gauge lastSuccess = Gauge.builder().name("holdfast_last_success_timestamp_seconds")
      .help("Unix time the job's last successful (or partial) run finished").labelNames("job").register(registry);
  private final Gauge lastStatus = Gauge.builder().name("holdfast_last_run_status")
      .help("Outcome of the job's last run: 1 stored (success or partial), 0 failed").labelNames("job").register(registry);
  private final Gauge lastDuration = Gauge.builder().name("holdfast_last_run_duration_seconds")
      .help("How long the job's last run took").labelNames("job").register(registry);
  private final Gauge lastSize = Gauge.builder().name("holdfast_last_backup_size_bytes")
      .help("Stored size of the job's last backup").labelNames("job").register(registry);
  private final Gauge lastFiles = Gauge.builder().name("holdfast_last_backup_files")
      .help("Files in the job's last backup").labelNames("job").register(registry);
  private final Counter runs = Counter.builder().name("holdfast_runs_total")
      .help("Runs of the job by outcome (success, partial, failure, skipped)").labelNames("job", "status").register(registry);
  private final Counter files = Counter.builder().name("holdfast_files_total")
      .help("Files stored by the job's runs").labelNames("job").register(registry);
  private final Counter bytes = Counter.builder().name("holdfast_bytes_total")
      .help("Content bytes read from sources by the job's runs").labelNames("job").register(registry);

  /** @param history past runs, in any order (they are applied oldest first) */
  public HoldfastMetrics(List<RunRecord> history) {
    List<RunRecord> sorted = new ArrayList<>(history);
    sorted.sort((a, b) -> a.started().compareTo(b.started()));
    sorted.forEach(this::apply);
  }

  public PrometheusRegistry registry() {
    return registry;
  }

  @Override
  public synchronized void finished(RunRecord r) {
    apply(r);
  }

  private void apply(RunRecord r) {
    String job = r.job();
    runs.labelValues(job, r.status().toLowerCase(java.util.Locale.ROOT)).inc();
    if (r.status().equals("SKIPPED")) {
      return; // nothing was written: the last run's status and success time stay as they were
    }
    boolean stored = !r.status().equals("FAILURE");
    lastStatus.labelValues(job).set(stored ? 1 : 0);
    lastDuration.labelValues(job).set(Duration.between(r.started(), r.finished()).toMillis() / 1000.0);
    if (stored) {
      lastSuccess.labelValues(job).set(r.finished().toEpochMilli() / 1000.0);
      lastSize.labelValues(job).set(r.size());
      lastFiles.labelValues(job).set(r.files());
      files.labelValues(job).inc(r.files());
      bytes.labelValues(job).inc(r.bytes());
    }
  }

  /** The metrics in the Prometheus text format 0.0.4. */
  public synchronized String text() {
    var out = new ByteArrayOutputStream();
    try {
      PrometheusTextFormatWriter.create().write(out, registry.scrape());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  /**
   * Writes {@code dir/holdfast.prom} for node-exporter's textfile collector: to a temporary file
   * in the same directory, then renamed over the old one, so the collector never reads half a file.
   */
  public Path writeTextfile(Path dir) throws IOException {
    Files.createDirectories(dir);
    Path target = dir.resolve(TEXTFILE_NAME);
    // not *.prom, so the collector ignores it while it is being written
    Path tmp = Files.createTempFile(dir, ".holdfast.prom.", ".tmp");
    try {
      Files.writeString(tmp, text(), StandardCharsets.UTF_8);
      Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
    return target;
  }
}
