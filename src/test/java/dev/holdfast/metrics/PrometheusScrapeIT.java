package dev.holdfast.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.holdfast.state.RunRecord;
import dev.holdfast.state.StateStore;
import dev.holdfast.testkit.Cli;
import dev.holdfast.testkit.Processes;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Prometheus server (Debian's prometheus 2.x) on 127.0.0.1 scrapes the daemon's /metrics
 * every second and evaluates the shipped alert rules: the job's counters and its last-success time
 * come back through PromQL, and the too-old alert is raised for a job last backed up 30 h ago.
 */
class PrometheusScrapeIT {
  @TempDir Path tmp;

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  @Test
  void prometheusScrapesTheDaemonAndTheStaleAlertFires() throws Exception {
    Path state = tmp.resolve("state");
    try (StateStore s = StateStore.open(state.resolve("state.db"))) {
      Instant old = Instant.now().minus(Duration.ofHours(30));
      s.record(new RunRecord(0, "nightly", "h", old, old.plusSeconds(12), "SUCCESS", "/srv/b", "nightly/a.tar.gz",
          4096, 3, 9000, 0, 0, null));
    }
    Path config = tmp.resolve("holdfast.yaml");
    Files.writeString(config, "jobs:\n  nightly:\n    sources: [" + tmp + "]\n    target: " + tmp.resolve("t") + "\n");
    int metricsPort = freePort();
    Process daemon = Processes.startHoldfast(new Cli(state), tmp.resolve("daemon"), List.of(),
        "--config", config.toString(), "daemon", "--metrics-listen", "127.0.0.1:" + metricsPort);
    int promPort = freePort();
    Path promConfig = tmp.resolve("prometheus.yml");
    Files.writeString(promConfig, """
        global: {scrape_interval: 1s, evaluation_interval: 1s}
        rule_files: [%s]
        scrape_configs:
          - job_name: holdfast
            honor_labels: true
            static_configs: [{targets: ["127.0.0.1:%d"]}]
        """.formatted(Path.of("examples/prometheus-alerts.yaml").toAbsolutePath(), metricsPort));
    Process prometheus = new ProcessBuilder("prometheus", "--config.file=" + promConfig,
        "--storage.tsdb.path=" + tmp.resolve("tsdb"), "--web.listen-address=127.0.0.1:" + promPort)
        .redirectErrorStream(true).redirectOutput(tmp.resolve("prometheus.log").toFile()).start();
    try {
      JsonNode runs = query(promPort, "holdfast_runs_total{job=\"nightly\",status=\"success\"}",
          r -> r.size() == 1, "the scraped success counter");
      assertThat(runs.get(0).get("value").get(1).asDouble()).isEqualTo(1.0);
      JsonNode age = query(promPort, "time() - holdfast_last_success_timestamp_seconds{job=\"nightly\"}",
          r -> r.size() == 1, "the last success time");
      assertThat(age.get(0).get("value").get(1).asDouble()).isBetween(29.9 * 3600, 30.1 * 3600);
      // the rule holds for 10 minutes before it fires; "pending" proves its expression matched
      JsonNode alerts = query(promPort, "ALERTS{alertname=\"HoldfastBackupTooOld\"}", r -> r.size() == 1,
          "the too-old alert (pending)");
      assertThat(alerts.get(0).get("metric").get("job").asText()).isEqualTo("nightly");
      assertThat(alerts.get(0).get("metric").get("alertstate").asText()).isIn("pending", "firing");
      assertThat(query(promPort, "ALERTS{alertname=\"HoldfastBackupFailed\"}", r -> true, "no failure alert"))
          .as("the last run succeeded").isEmpty();
    } finally {
      prometheus.destroy();
      prometheus.waitFor(30, TimeUnit.SECONDS);
      daemon.destroy();
      daemon.waitFor(30, TimeUnit.SECONDS);
    }
  }

  private JsonNode query(int port, String promql, java.util.function.Predicate<JsonNode> done, String what)
      throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    JsonNode result = null;
    while (System.nanoTime() < deadline) {
      try {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
            + "/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8))).build(),
            HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) {
          result = new ObjectMapper().readTree(r.body()).path("data").path("result");
          if (done.test(result)) {
            return result;
          }
        }
      } catch (java.io.IOException notYetListening) {
        // Prometheus is still starting
      }
      Thread.sleep(250);
    }
    throw new AssertionError("timed out waiting for " + what + " (" + promql + "): " + result + "\nprometheus log:\n"
        + Files.readString(tmp.resolve("prometheus.log")));
  }
}
