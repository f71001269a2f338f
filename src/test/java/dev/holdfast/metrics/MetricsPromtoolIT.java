package dev.holdfast.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.holdfast.state.RunRecord;
import dev.holdfast.testkit.Cli;
import dev.holdfast.testkit.Processes;
import dev.holdfast.testkit.Trees;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code promtool check metrics} (Debian package prometheus) accepts the textfile written by
 * {@code backup/run --metrics-textfile} and what /metrics serves; {@code promtool check rules}
 * accepts examples/prometheus-alerts.yaml.
 */
class MetricsPromtoolIT {
  @TempDir Path tmp;

  @BeforeAll
  static void promtoolIsInstalled() {
    assumeTrue(Processes.onPath("promtool"), "promtool is not installed (apt-get install prometheus)");
  }

  @Test
  void textfileFromBackupAndRunPassesPromtoolAndCarriesHistory() throws Exception {
    Path src = tmp.resolve("src");
    Trees.randomFile(src.resolve("a.bin"), new Random(3), 30_000);
    Cli cli = new Cli(tmp.resolve("state"));
    Path prom = tmp.resolve("prom");
    Cli.Result ok = cli.run("backup", "--to", tmp.resolve("t").toString(), "--job-name", "adhoc",
        "--metrics-textfile", prom.toString(), src.toString());
    assertThat(ok.exitCode()).as(ok.toString()).isZero();
    Cli.Result failed = cli.run("backup", "--to", tmp.resolve("t").toString(), "--job-name", "adhoc",
        "--metrics-textfile", prom.toString(), tmp.resolve("missing").toString());
    assertThat(failed.exitCode()).isEqualTo(2);

    Path file = prom.resolve("holdfast.prom");
    String text = Files.readString(file);
    assertThat(text).contains(
        "holdfast_runs_total{job=\"adhoc\",status=\"success\"} 1.0",
        "holdfast_runs_total{job=\"adhoc\",status=\"failure\"} 1.0",
        "holdfast_last_run_status{job=\"adhoc\"} 0.0",
        "holdfast_files_total{job=\"adhoc\"} 1.0");
    assertThat(text).containsPattern("holdfast_last_success_timestamp_seconds\\{job=\"adhoc\"} 1\\.\\d+E9");
    try (var files = Files.list(prom)) {
      assertThat(files).containsExactly(file); // no temporary file left behind
    }
    assertPromtoolAccepts(text);
  }

  @Test
  void servedMetricsPassPromtool() throws Exception {
    Instant t = Instant.parse("2026-01-02T03:00:00Z");
    var metrics = new HoldfastMetrics(List.of(
        new RunRecord(1, "nightly", "h", t, t.plusSeconds(35), "SUCCESS", "/srv", "nightly/x.tar.gz", 120_000_000, 1200, 0, 0, 0, null),
        new RunRecord(2, "nightly", "h", t.plusSeconds(86400), t.plusSeconds(86410), "FAILURE", "/srv", null, 0, 0, 0, 0, 13, "down")));
    try (MetricsServer server = MetricsServer.start(metrics, "127.0.0.1", 0)) {
      HttpResponse<String> r = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/metrics")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).contains("holdfast_last_success_timestamp_seconds{job=\"nightly\"} 1.767322835E9",
          "holdfast_last_run_status{job=\"nightly\"} 0.0", "holdfast_last_backup_size_bytes{job=\"nightly\"} 1.2E8",
          "holdfast_last_run_duration_seconds{job=\"nightly\"} 10.0");
      assertPromtoolAccepts(r.body());
    }
  }

  @Test
  void exampleAlertRulesPassPromtool() throws Exception {
    Path rules = Path.of("examples/prometheus-alerts.yaml").toAbsolutePath();
    var r = Processes.run(tmp, List.of("promtool", "check", "rules", rules.toString()));
    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.toString()).contains("SUCCESS: 3 rules found");
  }

  private static void assertPromtoolAccepts(String metrics) throws Exception {
    dev.holdfast.testkit.Promtool.assertAccepts(metrics);
  }
}
