package dev.holdfast.notify;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.holdfast.state.RunRecord;
import dev.holdfast.state.StateStore;
import dev.holdfast.testkit.Cli;
import dev.holdfast.testkit.Processes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mirror jobs share the job lifecycle: a skipped run (drive absent) alerts nobody until the drive
 * has been away for longer than the job's max_age, then it is a FAILURE that notifies; metrics count
 * skips apart; the daemon runs a scheduled mirror job like a backup job. A local HTTP server on
 * 127.0.0.1 receives the webhooks.
 */
class MirrorRunsIT {
  @TempDir Path tmp;
  private HttpReceiver http;
  private Process daemon;

  @BeforeEach
  void start() throws Exception {
    http = new HttpReceiver();
  }

  @AfterEach
  void stop() throws Exception {
    http.close();
    if (daemon != null && daemon.isAlive()) {
      daemon.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }
  }

  private Path source() throws Exception {
    Path src = tmp.resolve("src");
    Files.createDirectories(src.resolve("sub"));
    Files.writeString(src.resolve("a.txt"), "alpha");
    Files.writeString(src.resolve("sub/b.txt"), "beta");
    return src;
  }

  @Test
  void aSkipAlertsOnlyOnceTheDriveHasBeenAbsentLongerThanMaxAge() throws Exception {
    Path drive = tmp.resolve("media/usb");
    Files.createDirectories(drive); // a plain directory: not a mount point
    Path prom = tmp.resolve("prom");
    Path config = tmp.resolve("holdfast.yaml");
    Files.writeString(config, """
        jobs:
          usb:
            format: mirror
            sources: [%s]
            target: %s/copy
            require_mount: %s
            when_absent: skip
            max_age: 2s
            notify:
              - webhook: %s
                on: [failure]
        metrics:
          textfile_dir: %s
        """.formatted(source(), drive, drive, http.url("/hook"), prom));
    Cli cli = new Cli(tmp.resolve("state"));

    Cli.Result first = cli.run("--config", config.toString(), "run", "usb");
    assertThat(first.exitCode()).as(first.toString()).isEqualTo(6);
    assertThat(first.err()).contains("SKIPPED: mirror usb to ");
    assertThat(http.requests).as("a skip within max_age alerts nobody").isEmpty();
    assertThat(Files.readString(prom.resolve("holdfast.prom")))
        .contains("holdfast_runs_total{job=\"usb\",status=\"skipped\"} 1")
        .doesNotContain("holdfast_last_success_timestamp_seconds{job=\"usb\"}");

    Thread.sleep(2_200); // the drive stays away for longer than max_age
    Cli.Result late = cli.run("--config", config.toString(), "run", "usb");
    assertThat(late.exitCode()).as(late.toString()).isEqualTo(10);
    assertThat(late.err()).contains("FAILURE: mirror usb to ").contains("longer than max_age 2s:");
    assertThat(drive).isEmptyDirectory();
    assertThat(http.requests).hasSize(1);
    JsonNode hook = new ObjectMapper().readTree(http.requests.get(0).body());
    assertThat(hook.toString()).contains("\"FAILURE\"").contains("usb");
    assertThat(Files.readString(prom.resolve("holdfast.prom")))
        .contains("holdfast_runs_total{job=\"usb\",status=\"failure\"} 1")
        .contains("holdfast_last_run_status{job=\"usb\"} 0");

    Cli.Result status = cli.run("--config", config.toString(), "status");
    assertThat(status.exitCode()).as(status.toString()).isNotZero();
  }

  @Test
  void theDaemonRunsAScheduledMirrorJobAndNotifiesItsSuccess() throws Exception {
    Path src = source();
    Path dest = tmp.resolve("dest");
    Path state = tmp.resolve("state");
    Path config = tmp.resolve("holdfast.yaml");
    Files.writeString(config, """
        time_zone: UTC
        jobs:
          copy:
            format: mirror
            sources: [%s]
            target: %s
            delete: true
            schedule: "* * * * *"
            notify:
              - webhook: %s
                on: [success, failure]
        """.formatted(src, dest, http.url("/hook")));
    // a last run an hour ago: the every-minute schedule owes a catch-up run at start
    try (StateStore s = StateStore.open(state.resolve("state.db"))) {
      Instant hourAgo = Instant.now().minus(Duration.ofHours(1));
      s.record(new RunRecord(0, "copy", "h", hourAgo, hourAgo.plusSeconds(1), "SUCCESS", dest.toString(), null,
          0, 0, 0, 0, 0, null));
    }
    Cli cli = new Cli(state);
    daemon = Processes.startHoldfast(cli, tmp.resolve("daemon"), List.of(),
        "--config", config.toString(), "daemon", "--metrics-listen", "off");
    Path out = tmp.resolve("daemon/stdout.txt");
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    while (System.nanoTime() < deadline && (!Files.exists(out) || !Files.readString(out).contains("SUCCESS: mirror copy"))) {
      assertThat(daemon.isAlive()).as("daemon alive").isTrue();
      Thread.sleep(50);
    }
    assertThat(Files.readString(out)).contains("starting copy (catch-up for ", "SUCCESS: mirror copy to " + dest);
    assertThat(dest.resolve("sub/b.txt")).hasContent("beta");
    deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (http.requests.isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertThat(http.requests).hasSize(1);
    assertThat(http.requests.get(0).body()).contains("\"SUCCESS\"").contains("copy");
    daemon.destroy();
    assertThat(daemon.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(daemon.exitValue()).isZero();

    Cli.Result history = cli.run("history", "--json", "--job", "copy");
    JsonNode last = new ObjectMapper().readTree(history.out()).get(0);
    assertThat(last.get("status").asText()).isEqualTo("SUCCESS");
    // created: the destination directory, sub/, a.txt and sub/b.txt; 5 + 4 content bytes
    assertThat(last.get("files").asLong()).isEqualTo(4);
    assertThat(last.get("bytes").asLong()).isEqualTo(9);
  }
}
