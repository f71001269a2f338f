package dev.holdfast.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.holdfast.state.RunRecord;
import dev.holdfast.state.StateStore;
import dev.holdfast.testkit.Cli;
import dev.holdfast.testkit.Processes;
import dev.holdfast.testkit.Trees;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code holdfast daemon} in a child JVM with the test classpath. A job scheduled every minute
 * whose last run (seeded into the history) is an hour old is owed a catch-up run at start, so no
 * test waits for a minute to pass. Signals are real: SIGHUP via kill(1), SIGTERM via destroy().
 */
class DaemonIT {
  private static final Duration TIMEOUT = Duration.ofSeconds(90);
  @TempDir Path tmp;
  private Process daemon;

  @AfterEach
  void killDaemon() throws InterruptedException {
    if (daemon != null && daemon.isAlive()) {
      daemon.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private void seedHistory(Path stateDir, String job, Path target) {
    try (StateStore s = StateStore.open(stateDir.resolve("state.db"))) {
      Instant hourAgo = Instant.now().minus(Duration.ofHours(1));
      s.record(new RunRecord(0, job, "h", hourAgo, hourAgo.plusSeconds(5), "SUCCESS", target.toString(),
          job + "/old.tar.gz", 1000, 1, 0, 0, 0, null));
    }
  }

  private String stdout() throws IOException {
    Path f = tmp.resolve("daemon/stdout.txt");
    return Files.exists(f) ? Files.readString(f) : "";
  }

  private String waitForOutput(Predicate<String> done, String what) throws Exception {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      String out = stdout();
      if (done.test(out)) {
        return out;
      }
      assertThat(daemon.isAlive()).as("daemon died waiting for %s; stdout:\n%s\nstderr:\n%s", what, out,
          Files.readString(tmp.resolve("daemon/stderr.txt"))).isTrue();
      Thread.sleep(50);
    }
    throw new AssertionError("timed out waiting for " + what + "; stdout:\n" + stdout());
  }

  private void signal(String name) throws Exception {
    Process kill = new ProcessBuilder("kill", "-" + name, String.valueOf(daemon.pid())).start();
    assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(kill.exitValue()).isZero();
  }

  @Test
  void catchUpRunServesMetricsReloadsOnSighupAndStopsCleanlyOnSigterm() throws Exception {
    Path state = tmp.resolve("state");
    Path src = tmp.resolve("src");
    Trees.randomFile(src.resolve("a.bin"), new Random(1), 40_000);
    Path target = tmp.resolve("target");
    Path config = tmp.resolve("holdfast.yaml");
    String yaml = """
        time_zone: UTC
        jobs:
          nightly:
            sources: [%s]
            target: %s
            schedule: "* * * * *"
        """.formatted(src, target);
    Files.writeString(config, yaml);
    seedHistory(state, "nightly", target);
    Cli cli = new Cli(state);
    int port = freePort();

    daemon = Processes.startHoldfast(cli, tmp.resolve("daemon"), List.of(),
        "--config", config.toString(), "daemon", "--metrics-listen", "127.0.0.1:" + port);
    String out = waitForOutput(o -> o.contains("SUCCESS: nightly/"), "the catch-up run");
    assertThat(out).contains("serving metrics on http://127.0.0.1:" + port + "/metrics", "starting nightly (catch-up for ");
    assertThat(out).doesNotContain("\u001b["); // no ANSI escapes for journald
    assertThat(out.lines()).allMatch(l -> l.matches("\\[\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}] [A-Z]+: .+"));

    HttpResponse<String> scrape = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(scrape.statusCode()).isEqualTo(200);
    // the seeded run and the catch-up run: the history seeds the counters
    assertThat(scrape.body()).contains("holdfast_runs_total{job=\"nightly\",status=\"success\"} 2.0",
        "holdfast_last_run_status{job=\"nightly\"} 1.0");
    if (Processes.onPath("promtool")) {
      dev.holdfast.testkit.Promtool.assertAccepts(scrape.body());
    }

    Files.writeString(config, yaml.replace("\"* * * * *\"", "\"61 * * * *\""));
    signal("HUP");
    out = waitForOutput(o -> o.contains("config reload refused"), "the refused reload");
    assertThat(out).contains("WARNING: config reload refused, keeping the running config: " + config
        + ":6: jobs.nightly.schedule: minute: '61' is out of range 0-59");
    Files.writeString(config, yaml.replace("\"* * * * *\"", "\"0 3 * * *\""));
    signal("HUP");
    out = waitForOutput(o -> o.contains("scheduled nightly \"0 3 * * *\""), "the accepted reload");
    assertThat(out).contains("INFO: reloading config from " + config);

    daemon.destroy(); // SIGTERM
    assertThat(daemon.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(daemon.exitValue()).as(stdout()).isZero();
    assertThat(stdout()).contains("INFO: stopping on SIGTERM", "INFO: daemon stopped");
    assertThat(stdout().lines().filter(l -> l.contains("SUCCESS: nightly/"))).hasSize(1);
  }

  @Test
  void sigtermDuringALargeBackupAbortsItAndPublishesNothing() throws Exception {
    Path state = tmp.resolve("state");
    Path src = tmp.resolve("src");
    Files.createDirectories(src);
    try (RandomAccessFile f = new RandomAccessFile(src.resolve("big.img").toFile(), "rw")) {
      f.setLength(300L << 20); // 300 MiB, sparse: costs no disk to read from
    }
    Path target = tmp.resolve("target");
    Path config = tmp.resolve("holdfast.yaml");
    // throttled so the run surely still writes when SIGTERM comes
    Files.writeString(config, """
        jobs:
          big:
            sources: [%s]
            target: {url: %s, limit_upload: 40MiB/s}
            compression: none
            schedule: "* * * * *"
        """.formatted(src, target));
    seedHistory(state, "big", target);
    Cli cli = new Cli(state);

    daemon = Processes.startHoldfast(cli, tmp.resolve("daemon"), List.of(),
        "--config", config.toString(), "daemon", "--metrics-listen", "off");
    waitForOutput(o -> o.contains("starting big"), "the run to start");
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (partials(target).stream().noneMatch(p -> p.toFile().length() > (20 << 20)) && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(partials(target)).as("a .partial file of over 20 MiB while the run writes").isNotEmpty();

    daemon.destroy(); // SIGTERM
    assertThat(daemon.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(daemon.exitValue()).as(stdout()).isZero();
    String out = stdout();
    assertThat(out).contains("INFO: stopping on SIGTERM", "FAILURE: big: interrupted; nothing was stored", "INFO: daemon stopped");
    assertThat(out).doesNotContain("SUCCESS:");

    try (Stream<Path> files = Files.walk(target)) {
      assertThat(files.filter(Files::isRegularFile).map(p -> p.getFileName().toString()))
          .as("only .partial left-overs").allMatch(n -> n.endsWith(".partial"));
    }
    Cli.Result list = cli.run("list", "--json", "--from", target.toString());
    assertThat(list.exitCode()).as(list.toString()).isZero();
    assertThat(new ObjectMapper().readTree(list.out())).isEmpty();
    Cli.Result history = cli.run("history", "--json", "--job", "big");
    JsonNode last = new ObjectMapper().readTree(history.out()).get(0);
    assertThat(last.get("status").asText()).isEqualTo("FAILURE");
    assertThat(last.get("exit_code").asInt()).isEqualTo(130);
  }

  private static List<Path> partials(Path target) throws IOException {
    if (!Files.exists(target)) {
      return List.of();
    }
    try (Stream<Path> files = Files.walk(target)) {
      return files.filter(p -> p.getFileName().toString().endsWith(".partial")).toList();
    }
  }
}
