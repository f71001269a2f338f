package dev.holdfast.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.holdfast.testkit.Cli;
import dev.holdfast.testkit.Processes;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard's settings as {@code holdfast daemon} reads them from the config: a listener that
 * is not loopback is refused without logins, and guarded by the configured token and users.
 */
class DashboardDaemonIT {
  private static final String TOKEN = "daemon-it-token-0123456789abcdef";
  @TempDir Path tmp;
  private Process daemon;

  @AfterEach
  void stop() throws Exception {
    if (daemon != null && daemon.isAlive()) {
      daemon.destroy();
      if (!daemon.waitFor(30, TimeUnit.SECONDS)) {
        daemon.destroyForcibly();
      }
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private Path config(String web) throws IOException {
    Path src = Files.createDirectories(tmp.resolve("src"));
    Files.writeString(src.resolve("a.txt"), "a");
    Path c = tmp.resolve("holdfast.yaml");
    Files.writeString(c, web + """
        jobs:
          docs: {sources: [%s], target: %s}
        """.formatted(src, tmp.resolve("target")));
    return c;
  }

  private String stdout() throws IOException {
    Path f = tmp.resolve("daemon/stdout.txt");
    return Files.exists(f) ? Files.readString(f) : "";
  }

  private void awaitOutput(String what) throws Exception {
    long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!stdout().contains(what)) {
      assertThat(daemon.isAlive()).as("daemon died: " + stdout() + Files.readString(tmp.resolve("daemon/stderr.txt"))).isTrue();
      assertThat(System.nanoTime()).as("waiting for '" + what + "': " + stdout()).isLessThan(end);
      Thread.sleep(50);
    }
  }

  private static HttpResponse<String> get(String url, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30));
    if (headers.length > 0) {
      b.headers(headers);
    }
    try (HttpClient c = HttpClient.newHttpClient()) {
      return c.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
  }

  @Test
  void anExplicitlyEnabledDashboardIsRefusedOnANonLoopbackAddressWithoutLogins() throws Exception {
    String ext = WebAuthTest.externalAddress();
    Cli cli = new Cli(tmp.resolve("state"));
    Cli.Result r = cli.run("--config", config("web: {enabled: true}\n").toString(), "daemon",
        "--metrics-listen", ext + ":" + freePort());
    assertThat(r.exitCode()).as(r.toString()).isEqualTo(2);
    assertThat(r.err()).contains("error: the dashboard would listen on " + ext, "hint: configure web.users or web.token_file");
  }

  @Test
  void withoutLoginsANonLoopbackListenerServesMetricsButNoDashboard() throws Exception {
    String ext = WebAuthTest.externalAddress();
    int port = freePort();
    Cli cli = new Cli(tmp.resolve("state"));
    daemon = Processes.startHoldfast(cli, tmp.resolve("daemon"), List.of(), "--config", config("").toString(), "daemon",
        "--metrics-listen", ext + ":" + port);
    awaitOutput("daemon started");
    assertThat(stdout()).contains("WARNING: not serving the dashboard on " + ext + ":" + port);
    assertThat(get("http://" + ext + ":" + port + "/metrics").statusCode()).isEqualTo(200);
    assertThat(get("http://" + ext + ":" + port + "/api/overview").statusCode()).isEqualTo(404);
  }

  @Test
  void sigtermAbortsARunStartedOnTheDashboardAndPublishesNothing() throws Exception {
    Path src = Files.createDirectories(tmp.resolve("big"));
    try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(src.resolve("big.img").toFile(), "rw")) {
      f.setLength(300L << 20); // sparse: costs no disk to read
    }
    Path target = tmp.resolve("target");
    Path cfg = tmp.resolve("holdfast.yaml");
    Files.writeString(cfg, """
        jobs:
          big:
            sources: [%s]
            target: {url: %s, limit_upload: 40MiB/s}
            compression: none
        """.formatted(src, target));
    int port = freePort();
    String base = "http://127.0.0.1:" + port;
    daemon = Processes.startHoldfast(new Cli(tmp.resolve("state")), tmp.resolve("daemon"), List.of(),
        "--config", cfg.toString(), "daemon", "--metrics-listen", "127.0.0.1:" + port);
    awaitOutput("daemon started");
    try (HttpClient c = HttpClient.newHttpClient()) {
      HttpResponse<String> session = c.send(HttpRequest.newBuilder(URI.create(base + "/api/session")).build(),
          HttpResponse.BodyHandlers.ofString());
      String cookie = session.headers().firstValue("Set-Cookie").orElseThrow();
      String csrf = WebClient.JSON.readTree(session.body()).path("csrf").asText();
      HttpResponse<String> run = c.send(HttpRequest.newBuilder(URI.create(base + "/api/jobs/big/run"))
          .header("Content-Type", "application/json").header("Cookie", cookie.substring(0, cookie.indexOf(';')))
          .header("X-CSRF-Token", csrf).POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(run.statusCode()).as(run.body()).isEqualTo(202);
    }
    awaitOutput("starting big (asked for on the dashboard)");
    long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!partialOver(target, 20 << 20) && System.nanoTime() < end) {
      Thread.sleep(20);
    }
    assertThat(partialOver(target, 20 << 20)).as("the run writes").isTrue();
    daemon.destroy(); // SIGTERM
    assertThat(daemon.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(daemon.exitValue()).as(stdout()).isZero();
    assertThat(stdout()).contains("FAILURE: big: interrupted; nothing was stored", "INFO: daemon stopped")
        .doesNotContain("SUCCESS:");
    try (var files = Files.walk(target)) {
      assertThat(files.filter(Files::isRegularFile).map(p -> p.getFileName().toString()))
          .allMatch(n -> n.endsWith(".partial"));
    }
  }

  private static boolean partialOver(Path dir, long size) throws IOException {
    if (!Files.exists(dir)) {
      return false;
    }
    try (var files = Files.walk(dir)) {
      return files.anyMatch(p -> p.toString().endsWith(".partial") && p.toFile().length() > size);
    }
  }

  @Test
  void theConfiguredTokenAndUsersGuardTheDashboard() throws Exception {
    // the hash as an administrator makes it
    Process hash = new ProcessBuilder(Processes.holdfastCommand("daemon", "--hash-password")).start();
    hash.getOutputStream().write("s3cret word\n".getBytes(StandardCharsets.UTF_8));
    hash.getOutputStream().close();
    String hashed = new String(hash.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    assertThat(hash.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(hash.exitValue()).isZero();
    assertThat(hashed).startsWith("pbkdf2-sha256:600000:").doesNotContain("s3cret");
    Path tokenFile = tmp.resolve("web-token");
    Files.writeString(tokenFile, TOKEN + "\n");

    String ext = WebAuthTest.externalAddress();
    int port = freePort();
    String base = "http://" + ext + ":" + port;
    Path cfg = config("""
        web:
          token_file: %s
          users:
            - {name: ops, password_hash: "%s", role: read-only}
        """.formatted(tokenFile, hashed));
    daemon = Processes.startHoldfast(new Cli(tmp.resolve("state")), tmp.resolve("daemon"), List.of(),
        "--config", cfg.toString(), "daemon", "--metrics-listen", ext + ":" + port);
    awaitOutput("serving the dashboard on http://" + ext + ":" + port + "/ (login required)");

    assertThat(get(base + "/api/overview").statusCode()).isEqualTo(401);
    assertThat(get(base + "/api/overview", "Authorization", "Bearer " + TOKEN).statusCode()).isEqualTo(200);
    assertThat(get(base + "/metrics").statusCode()).isEqualTo(200);
    try (HttpClient c = HttpClient.newHttpClient()) {
      HttpResponse<String> login = c.send(HttpRequest.newBuilder(URI.create(base + "/api/login"))
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString("{\"user\":\"ops\",\"password\":\"s3cret word\"}")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(login.statusCode()).as(login.body()).isEqualTo(200);
      assertThat(login.body()).contains("\"role\":\"read-only\"");
      String cookie = login.headers().firstValue("Set-Cookie").orElseThrow();
      assertThat(cookie).contains("HttpOnly", "SameSite=Strict");
      assertThat(get(base + "/api/overview", "Cookie", cookie.substring(0, cookie.indexOf(';'))).statusCode()).isEqualTo(200);
    }
    awaitOutput("web: refused GET /api/overview from " + ext + ": 401");
    assertThat(stdout()).doesNotContain(TOKEN, "s3cret");
  }

  private void hangUp() throws Exception {
    Process kill = new ProcessBuilder("kill", "-HUP", Long.toString(daemon.pid())).start();
    assertThat(kill.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(kill.exitValue()).isZero();
  }

  @Test
  void sighupReloadsTheWebSettingsButNeverToAnUnguardedListener() throws Exception {
    String ext = WebAuthTest.externalAddress();
    int port = freePort();
    String base = "http://" + ext + ":" + port;
    Path first = tmp.resolve("token-1");
    Path second = tmp.resolve("token-2");
    Files.writeString(first, TOKEN + "\n");
    Files.writeString(second, TOKEN + "-second\n");
    Path cfg = config("web: {token_file: " + first + "}\n");
    daemon = Processes.startHoldfast(new Cli(tmp.resolve("state")), tmp.resolve("daemon"), List.of(),
        "--config", cfg.toString(), "daemon", "--metrics-listen", ext + ":" + port);
    awaitOutput("daemon started");
    assertThat(get(base + "/api/overview", "Authorization", "Bearer " + TOKEN).statusCode()).isEqualTo(200);

    // another token file: after SIGHUP the old token is refused and the new one let in
    config("web: {token_file: " + second + "}\n");
    hangUp();
    awaitOutput("reloaded the dashboard's web: settings");
    assertThat(get(base + "/api/overview", "Authorization", "Bearer " + TOKEN).statusCode()).isEqualTo(401);
    assertThat(get(base + "/api/overview", "Authorization", "Bearer " + TOKEN + "-second").statusCode()).isEqualTo(200);

    // no login at all on a LAN address: refused, the running settings stay
    config("");
    hangUp();
    awaitOutput("the dashboard keeps its previous web: settings");
    assertThat(stdout()).contains("neither web.users nor web.token_file");
    assertThat(get(base + "/api/overview").statusCode()).isEqualTo(401);
    assertThat(get(base + "/api/overview", "Authorization", "Bearer " + TOKEN + "-second").statusCode()).isEqualTo(200);
  }
}
