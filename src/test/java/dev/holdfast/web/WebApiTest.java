package dev.holdfast.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.holdfast.testkit.Trees;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every endpoint of the dashboard's API against the web server on a real listener, wired to a real
 * state store, run log, job runner and local targets (loopback, no logins configured).
 */
class WebApiTest {
  @TempDir Path tmp;
  private WebFixture f;
  private WebClient c;
  private String prefix;

  @BeforeEach
  void start() throws Exception {
    f = new WebFixture(tmp, "127.0.0.1", WebSettings.open());
    for (int i = 0; i < 3; i++) {
      f.backup();
    }
    c = new WebClient(f).session();
    prefix = f.source.toString().substring(1);
  }

  @AfterEach
  void stop() {
    f.close();
  }

  private String newest() throws Exception {
    return c.getJson("/api/jobs/docs").path("targets").get(0).path("backups").get(0).path("id").asText();
  }

  private String q(String backup, String path) {
    return "?backup=" + java.net.URLEncoder.encode(backup, StandardCharsets.UTF_8)
        + "&path=" + java.net.URLEncoder.encode(path, StandardCharsets.UTF_8).replace("+", "%20");
  }

  @Test
  void overviewShowsEachJobsStatusChartsTargetsAndLocks() throws Exception {
    JsonNode o = c.getJson("/api/overview");
    JsonNode j = o.path("jobs").get(0);
    assertThat(j.path("job").asText()).isEqualTo("docs");
    assertThat(j.path("state").asText()).isEqualTo("ok");
    assertThat(j.path("age_seconds").asLong()).isBetween(0L, 60L);
    assertThat(j.path("max_age_seconds").asLong()).isEqualTo(25 * 3600);
    assertThat(j.path("last_size").asLong()).isGreaterThan(1000);
    assertThat(j.path("last_duration_ms").isNumber()).isTrue();
    assertThat(j.path("next_run").asText()).isNotEmpty();
    assertThat(j.path("recent")).hasSize(3);
    assertThat(j.path("recent").get(0).path("size").asLong()).isGreaterThan(1000);
    JsonNode targets = o.path("targets");
    assertThat(targets).hasSize(2);
    assertThat(targets.get(0).path("reachable").asBoolean()).isTrue();
    assertThat(targets.get(0).path("free_bytes").asLong()).isPositive();
    assertThat(targets.get(0).path("backups").asInt()).as("retention keeps the last 2").isEqualTo(2);
    assertThat(targets.get(1).path("backups").asInt()).as("the off-site copies, with the job's retention").isEqualTo(2);
    assertThat(o.path("locks")).isEmpty();
  }

  @Test
  void theOverviewReusesTargetListingsBrieflyButNeverAcrossAnOperation() throws Exception {
    assertThat(c.getJson("/api/overview").path("targets").get(1).path("backups").asInt()).isEqualTo(2);
    // another machine removes a backup: the overview may show the old listing for a few seconds...
    String newest = c.getJson("/api/jobs/docs").path("targets").get(1).path("backups").get(0).path("id").asText();
    Files.delete(f.offsite.resolve(newest));
    assertThat(c.getJson("/api/overview").path("targets").get(1).path("backups").asInt()).isEqualTo(2);
    // ...the job page reads afresh...
    assertThat(c.getJson("/api/jobs/docs").path("targets").get(1).path("backups")).hasSize(1);
    // ...and any operation that ends makes the overview read again
    c.awaitOp(c.postJson("/api/jobs/docs/verify", Map.of("level", "quick")).path("id").asText());
    assertThat(c.getJson("/api/overview").path("targets").get(1).path("backups").asInt()).isEqualTo(1);
  }

  @Test
  void aJobWhoseLastRunFailedIsFailingAndOneWithoutBackupsIsMissing() throws Exception {
    Files.move(f.source.resolve("readme.md"), tmp.resolve("readme.md"));
    Files.delete(tmp.resolve("readme.md"));
    try (var s = Files.walk(f.source)) {
      s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
    try {
      f.backup();
    } catch (RuntimeException expected) {
      // the source is gone: the run fails and is recorded
    }
    assertThat(c.getJson("/api/overview").path("jobs").get(0).path("state").asText()).isEqualTo("failing");
  }

  @Test
  void jobPageShowsHistoryBackupsOnPrimaryAndOffsiteAndTheRetentionPlan() throws Exception {
    JsonNode d = c.getJson("/api/jobs/docs");
    assertThat(d.path("runs")).hasSize(3);
    assertThat(d.path("runs").get(0).path("status").asText()).isEqualTo("SUCCESS");
    assertThat(d.path("targets")).hasSize(2);
    assertThat(d.path("targets").get(0).path("role").asText()).isEqualTo("primary");
    assertThat(d.path("targets").get(1).path("role").asText()).isEqualTo("off-site");
    // retention ran after each run on the primary (keep last 2); the off-site copy keeps all (no policy there: the job's)
    assertThat(d.path("targets").get(0).path("backups")).hasSize(2);
    assertThat(d.path("targets").get(1).path("backups").size()).isGreaterThanOrEqualTo(2);
    JsonNode plan = d.path("retention");
    assertThat(plan.path("policy").asText()).contains("2 last");
    assertThat(plan.path("decisions").size()).isGreaterThanOrEqualTo(4);
    assertThat(c.getJson("/api/jobs/docs/retention").path("policy").asText()).isEqualTo(plan.path("policy").asText());
    assertThat(c.get("/api/jobs/nope").statusCode()).isEqualTo(404);
  }

  @Test
  void aRunsLogHasItsLines() throws Exception {
    long id = c.getJson("/api/jobs/docs").path("runs").get(0).path("id").asLong();
    JsonNode l = c.getJson("/api/jobs/docs/runs/" + id + "/log");
    assertThat(l.path("run").path("id").asLong()).isEqualTo(id);
    List<String> lines = new ArrayList<>();
    l.path("lines").forEach(x -> lines.add(x.asText()));
    assertThat(lines).anyMatch(x -> x.contains("SUCCESS: docs/"));
    assertThat(c.get("/api/jobs/docs/runs/999999/log").statusCode()).isEqualTo(404);
  }

  @Test
  void runNowRunsTheLifecycleAndTheRunAppearsInHistoryWithItsProgress() throws Exception {
    HttpResponse<byte[]> r = c.post("/api/jobs/docs/run", Map.of());
    assertThat(r.statusCode()).as(new String(r.body())).isEqualTo(202);
    JsonNode op = WebClient.json(r);
    assertThat(op.path("kind").asText()).isEqualTo("run");
    JsonNode done = c.awaitOp(op.path("id").asText());
    assertThat(done.path("state").asText()).isEqualTo("done");
    assertThat(done.path("files").asLong()).isGreaterThanOrEqualTo(4);
    assertThat(done.path("bytes").asLong()).isGreaterThanOrEqualTo(12_345 + 200_000 + 70_000);
    long runId = done.path("run_id").asLong();
    assertThat(c.getJson("/api/jobs/docs").path("runs").get(0).path("id").asLong()).isEqualTo(runId);
    assertThat(c.getJson("/api/live").path("finished").get(0).path("id").asText()).isEqualTo(op.path("id").asText());
    assertThat(f.logText()).contains("web: local started docs");
  }

  @Test
  void progressAndTheLockShowWhileARunGoes() throws Exception {
    Trees.randomFile(f.source.resolve("big.bin"), new java.util.Random(3), 6_000_000);
    f.throttle = 2_000_000; // about three seconds of upload
    JsonNode op = c.postJson("/api/jobs/docs/run", Map.of());
    String id = op.path("id").asText();
    JsonNode seen = null;
    long end = System.nanoTime() + 60_000_000_000L;
    while (seen == null && System.nanoTime() < end) {
      for (JsonNode r : c.getJson("/api/live").path("running")) {
        if (r.path("id").asText().equals(id) && r.path("bytes").asLong() > 0) {
          seen = r;
        }
      }
      Thread.sleep(20);
    }
    assertThat(seen).as("a running operation with bytes moved").isNotNull();
    assertThat(seen.path("state").asText()).isEqualTo("running");
    assertThat(seen.path("rate").asLong()).isPositive();
    JsonNode o = c.getJson("/api/overview");
    assertThat(o.path("jobs").get(0).path("state").asText()).isEqualTo("running");
    assertThat(o.path("locks").get(0).path("job").asText()).isEqualTo("docs");
    assertThat(o.path("locks").get(0).path("holder").asText()).startsWith("pid " + ProcessHandle.current().pid());
    assertThat(c.post("/api/jobs/docs/run", Map.of()).statusCode()).as("no second run while one goes").isEqualTo(409);
    JsonNode done = c.awaitOp(id);
    assertThat(done.path("state").asText()).isEqualTo("done");
    assertThat(done.path("bytes").asLong()).isGreaterThanOrEqualTo(6_000_000);
    assertThat(c.getJson("/api/overview").path("locks")).isEmpty();
  }

  @Test
  void stoppingTheDaemonAbortsARunStartedWithTheButtonAndPublishesNothing() throws Exception {
    Trees.randomFile(f.source.resolve("big.bin"), new java.util.Random(5), 8_000_000);
    f.throttle = 1_000_000;
    int before = countArchives(f.target);
    String id = c.postJson("/api/jobs/docs/run", Map.of()).path("id").asText();
    long end = System.nanoTime() + 60_000_000_000L;
    while (c.getJson("/api/ops/" + id).path("bytes").asLong() == 0 && System.nanoTime() < end) {
      Thread.sleep(20);
    }
    f.dashboard.stop(java.time.Duration.ofSeconds(30));
    JsonNode op = c.getJson("/api/ops/" + id);
    assertThat(op.path("state").asText()).isEqualTo("failed");
    assertThat(op.path("message").asText()).contains("interrupted");
    assertThat(countArchives(f.target)).as("nothing of the aborted run is published").isEqualTo(before);
    assertThat(c.getJson("/api/jobs/docs").path("runs").get(0).path("exit_code").asInt()).isEqualTo(130);
    assertThat(c.post("/api/jobs/docs/run", Map.of()).statusCode()).isEqualTo(503);
  }

  @Test
  void aScheduledRunShowsAsRunningToo() throws Exception {
    Trees.randomFile(f.source.resolve("big.bin"), new java.util.Random(4), 4_000_000);
    f.throttle = 2_000_000;
    Thread run = Thread.ofVirtual().start(f::backup); // as the daemon's scheduler starts it
    long end = System.nanoTime() + 60_000_000_000L;
    JsonNode seen = null;
    while (seen == null && System.nanoTime() < end) {
      for (JsonNode r : c.getJson("/api/live").path("running")) {
        if (r.path("origin").asText().equals("schedule") && r.path("bytes").asLong() > 0) {
          seen = r;
        }
      }
      Thread.sleep(20);
    }
    assertThat(seen).isNotNull();
    run.join();
    assertThat(c.getJson("/api/live").path("finished").get(0).path("run_id").asLong())
        .isEqualTo(c.getJson("/api/jobs/docs").path("runs").get(0).path("id").asLong());
  }

  @Test
  void theLiveStreamSendsServerSentEvents() throws Exception {
    try (Socket s = new Socket("127.0.0.1", f.server.port())) {
      s.getOutputStream().write(("GET /api/live/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: " + c.cookie
          + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      s.setSoTimeout(10_000);
      InputStream in = s.getInputStream();
      StringBuilder got = new StringBuilder();
      while (got.indexOf("data:") < 0 || got.indexOf("\n\n", got.indexOf("data:")) < 0) {
        int b = in.read();
        if (b < 0) {
          break;
        }
        got.append((char) b);
      }
      assertThat(got.toString()).contains("200", "text/event-stream", "data: {", "\"running\":[", "\"finished\":[{");
    }
  }

  @Test
  void verifyNowReportsOkThenDamageAfterAByteFlips() throws Exception {
    JsonNode op = c.postJson("/api/jobs/docs/verify", Map.of("level", "full"));
    JsonNode done = c.awaitOp(op.path("id").asText());
    assertThat(done.path("state").asText()).as(done.toString()).isEqualTo("done");
    assertThat(done.path("result").path("problems")).isEmpty();

    Path archive = f.target.resolve(newest());
    byte[] b = Files.readAllBytes(archive);
    b[b.length / 2] ^= 0x5a;
    Files.write(archive, b);
    JsonNode bad = c.awaitOp(c.postJson("/api/jobs/docs/verify", Map.of("level", "full")).path("id").asText());
    assertThat(bad.path("state").asText()).isEqualTo("failed");
    assertThat(bad.path("result").path("problems")).isNotEmpty();
    assertThat(c.getJson("/api/jobs/docs").path("verifications")).hasSize(2);
    // kept across a restart of the dashboard (the daemon)
    f.close();
    f = new WebFixture(tmp, "127.0.0.1", WebSettings.open());
    c = new WebClient(f).session();
    JsonNode kept = c.getJson("/api/jobs/docs").path("verifications");
    assertThat(kept).hasSize(2);
    assertThat(kept.get(0).path("state").asText()).isEqualTo("failed");
    assertThat(kept.get(1).path("message").asText()).startsWith("ok: docs/");
    assertThat(c.post("/api/jobs/docs/verify", Map.of("level", "thorough")).statusCode()).isEqualTo(400);
  }

  @Test
  void forgetShowsTheDryRunFirstAndRemovesOnlyWithItsToken() throws Exception {
    for (int i = 0; i < 3; i++) {
      f.backupOnly(); // no retention step: five backups on the primary now
    }
    assertThat(countArchives(f.target)).isEqualTo(5);
    JsonNode dry = c.postJson("/api/jobs/docs/forget", Map.of("dry_run", true));
    assertThat(dry.path("dry_run").asBoolean()).isTrue();
    assertThat(dry.path("remove").asInt()).isEqualTo(3);
    assertThat(countArchives(f.target)).as("a dry run removes nothing").isEqualTo(5);

    HttpResponse<byte[]> noToken = c.post("/api/jobs/docs/forget", Map.of("dry_run", false));
    assertThat(noToken.statusCode()).isEqualTo(409);
    HttpResponse<byte[]> wrongToken = c.post("/api/jobs/docs/forget", Map.of("dry_run", false, "confirm", "x"));
    assertThat(wrongToken.statusCode()).isEqualTo(409);
    assertThat(countArchives(f.target)).isEqualTo(5);

    JsonNode applied = c.postJson("/api/jobs/docs/forget", Map.of("dry_run", false, "confirm", dry.path("confirm").asText()));
    assertThat(applied.path("removed").asInt()).isEqualTo(3);
    assertThat(countArchives(f.target)).isEqualTo(2);
    assertThat(countArchives(f.offsite)).isEqualTo(2);
    assertThat(f.logText()).contains("REMOVED: docs/");
  }

  private static int countArchives(Path dir) throws Exception {
    try (Stream<Path> s = Files.walk(dir)) {
      return (int) s.filter(p -> p.toString().endsWith(".tar.gz")).count();
    }
  }

  @Test
  void theTreeListsDirectoriesFirstAndRefusesUnknownPaths() throws Exception {
    String b = newest();
    JsonNode root = c.getJson("/api/jobs/docs/targets/0/tree" + q(b, ""));
    assertThat(root.path("entries").get(0).path("type").asText()).isEqualTo("dir");
    JsonNode src = c.getJson("/api/jobs/docs/targets/0/tree" + q(b, prefix));
    List<String> names = new ArrayList<>();
    src.path("entries").forEach(e -> names.add(e.path("name").asText() + ":" + e.path("type").asText()));
    assertThat(names).containsExactly("notes:dir", "photos:dir", "readme.md:file");
    assertThat(c.get("/api/jobs/docs/targets/0/tree" + q(b, prefix + "/nothing")).statusCode()).isEqualTo(404);
    assertThat(c.get("/api/jobs/docs/targets/1/tree" + q(b, prefix)).statusCode()).isEqualTo(200);
    assertThat(c.get("/api/jobs/docs/targets/7/tree" + q(b, prefix)).statusCode()).isEqualTo(404);
    assertThat(c.get("/api/jobs/docs/targets/0/tree" + q("docs/none.tar.gz", "")).statusCode()).isEqualTo(404);
  }

  @Test
  void downloadOfOneFileHasItsExactBytes() throws Exception {
    HttpResponse<byte[]> r = c.get("/api/jobs/docs/targets/0/download" + q(newest(), prefix + "/photos/c [1].jpg"));
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo(Files.readAllBytes(f.source.resolve("photos/c [1].jpg")));
    assertThat(r.headers().firstValue("Content-Disposition").orElseThrow()).contains("attachment", "filename*=UTF-8''c%20%5B1%5D.jpg");
  }

  @Test
  void downloadOfADirectoryIsATarGzOfItsFiles() throws Exception {
    HttpResponse<byte[]> r = c.get("/api/jobs/docs/targets/0/download" + q(newest(), prefix + "/notes"));
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type").orElseThrow()).isEqualTo("application/gzip");
    Map<String, byte[]> files = new HashMap<>();
    try (TarArchiveInputStream tar = new TarArchiveInputStream(new GzipCompressorInputStream(new ByteArrayInputStream(r.body())))) {
      TarArchiveEntry e;
      while ((e = tar.getNextEntry()) != null) {
        if (e.isFile()) {
          files.put(e.getName(), tar.readAllBytes());
        }
      }
    }
    assertThat(files.keySet()).containsExactlyInAnyOrder("notes/a.txt", "notes/deep/b.bin");
    assertThat(files.get("notes/deep/b.bin")).isEqualTo(Files.readAllBytes(f.source.resolve("notes/deep/b.bin")));
  }

  @Test
  void aDownloadPathWithDotDotIsRefused() throws Exception {
    String b = newest();
    for (String p : List.of(prefix + "/../../etc/passwd", "../" + prefix, prefix + "/notes/..", "/" + prefix + "/./notes")) {
      HttpResponse<byte[]> r = c.get("/api/jobs/docs/targets/0/download" + q(b, p));
      assertThat(r.statusCode()).as(p).isEqualTo(400);
      assertThat(new String(r.body())).contains("invalid path");
    }
    // encoded dots in the raw query decode to the same thing
    HttpResponse<byte[]> raw = c.get("/api/jobs/docs/targets/0/download?backup=" + b + "&path=%2e%2e%2f%2e%2e%2fetc%2fpasswd");
    assertThat(raw.statusCode()).isEqualTo(400);
    assertThat(c.get("/api/jobs/docs/targets/0/tree" + q(b, prefix + "/..")).statusCode()).isEqualTo(400);
  }

  @Test
  void restoreShowsWhatItWillWriteAndWritesOnlyAfterConfirmation() throws Exception {
    String b = newest();
    Path into = tmp.resolve("restored");
    Map<String, Object> req = new HashMap<>(Map.of("backup", b, "path", prefix + "/notes", "into", into.toString()));
    JsonNode preview = c.postJson("/api/jobs/docs/restore/preview", req);
    assertThat(preview.path("files").asInt()).isEqualTo(2);
    assertThat(preview.path("conflicts").asInt()).isZero();
    Set<String> dests = new HashSet<>();
    preview.path("writes").forEach(w -> dests.add(w.path("dest").asText()));
    assertThat(dests).contains(into.resolve(prefix + "/notes/a.txt").toString());
    assertThat(Files.exists(into)).as("a preview writes nothing").isFalse();

    HttpResponse<byte[]> unconfirmed = c.post("/api/jobs/docs/restore", req);
    assertThat(unconfirmed.statusCode()).isEqualTo(409);
    assertThat(Files.exists(into.resolve(prefix))).isFalse();

    req.put("confirm", preview.path("confirm").asText());
    JsonNode done = c.postJson("/api/jobs/docs/restore", req);
    assertThat(done.path("result").path("files").asInt()).isEqualTo(2);
    assertThat(Files.readAllBytes(into.resolve(prefix + "/notes/deep/b.bin")))
        .isEqualTo(Files.readAllBytes(f.source.resolve("notes/deep/b.bin")));
    assertThat(Files.exists(into.resolve(prefix + "/photos"))).isFalse();

    // now the files exist: the preview says so, and a restore without overwrite is refused
    JsonNode again = c.postJson("/api/jobs/docs/restore/preview", req);
    assertThat(again.path("conflicts").asInt()).isEqualTo(2);
    req.put("confirm", again.path("confirm").asText());
    HttpResponse<byte[]> refused = c.post("/api/jobs/docs/restore", req);
    assertThat(refused.statusCode()).isEqualTo(422);
    assertThat(new String(refused.body())).contains("refusing to overwrite");
    // a token from another preview does not confirm this one
    req.put("overwrite", true);
    assertThat(c.post("/api/jobs/docs/restore", req).statusCode()).isEqualTo(409);
  }

  @Test
  void aDatabaseRestorePreviewSaysWhereItLoadsWithoutShowingAPassword() throws Exception {
    JsonNode p = c.postJson("/api/jobs/docs/restore/preview", Map.of("kind", "database", "backup", newest(),
        "database", "shop", "into", "postgresql://app:hunter2@db.example:5432/shop_copy", "create", true));
    assertThat(p.path("summary").asText()).contains("database 'shop'", "postgresql://app:***@db.example:5432/shop_copy",
        "creating it if missing");
    assertThat(p.toString()).doesNotContain("hunter2");
    assertThat(p.path("confirm").asText()).isNotEmpty();
    assertThat(c.post("/api/jobs/docs/restore/preview", Map.of("kind", "database", "backup", newest())).statusCode())
        .isEqualTo(400);
  }

  @Test
  void restoreNeedsAnAbsoluteDirectory() throws Exception {
    for (String into : List.of("relative/dir", "/tmp/../etc", "")) {
      HttpResponse<byte[]> r = c.post("/api/jobs/docs/restore/preview", Map.of("backup", newest(), "path", "", "into", into));
      assertThat(r.statusCode()).as(into).isEqualTo(400);
    }
  }

  @Test
  void theOpenApiDocumentCoversEveryRouteAndNothingElse() throws Exception {
    JsonNode api = c.getJson("/api/openapi.json");
    Set<String> documented = new HashSet<>();
    api.path("paths").properties().forEach(p -> p.getValue().fieldNames()
        .forEachRemaining(m -> documented.add(m.toUpperCase() + " " + p.getKey().replace("{t}", "{t}"))));
    Set<String> served = new HashSet<>();
    for (Dashboard.Route r : f.dashboard.routes()) {
      served.add(r.method() + " " + r.template());
    }
    assertThat(documented).isEqualTo(served);
  }

  @Test
  void pagesAndApiCarrySecurityHeaders() throws Exception {
    for (String p : List.of("/", "/job.html", "/browse.html", "/login.html", "/app.js", "/app.css", "/api/overview")) {
      HttpResponse<byte[]> r = c.get(p);
      assertThat(r.statusCode()).as(p).isEqualTo(200);
      assertThat(r.headers().firstValue("Content-Security-Policy").orElseThrow()).contains("default-src 'none'", "frame-ancestors 'none'");
      assertThat(r.headers().firstValue("X-Frame-Options")).hasValue("DENY");
      assertThat(r.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
      assertThat(r.headers().firstValue("Referrer-Policy")).hasValue("no-referrer");
    }
    assertThat(c.get("/app.js").headers().firstValue("Content-Type").orElseThrow()).startsWith("text/javascript");
    assertThat(c.get("/../pom.xml").statusCode()).isEqualTo(404);
    assertThat(c.get("/web/app.js").statusCode()).isEqualTo(404);
    assertThat(c.get("/api/nothing").statusCode()).isEqualTo(404);
    assertThat(c.get("/api/jobs/docs/run").statusCode()).isEqualTo(405);
    // the pages load nothing from elsewhere
    String html = new String(c.get("/").body());
    assertThat(html).doesNotContain("http://", "https://");
  }

  @Test
  void fleetShowsEveryHostsJobsOnTheSharedTarget() throws Exception {
    // another host wrote to the same target: its manifest says so
    Path other = f.target.resolve("web");
    Files.createDirectories(other);
    String stamp = java.time.LocalDateTime.now(java.time.ZoneOffset.UTC).minusDays(3)
        .format(java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd_HHmmss"));
    byte[] tgz = Files.readAllBytes(f.target.resolve(newest()));
    Files.write(other.resolve(stamp + "-web.tar.gz"), tgz);
    String manifest = Files.readString(f.target.resolve(newest() + ".manifest.json"))
        .replaceFirst("\"host\"\\s*:\\s*\"testhost\"", "\"host\":\"web-01\"")
        .replaceFirst("\"job\"\\s*:\\s*\"docs\"", "\"job\":\"web\"")
        .replaceFirst("\"started\"\\s*:\\s*\"[^\"]+\"",
            "\"started\":\"" + java.time.Instant.now().minus(java.time.Duration.ofDays(3)) + "\"");
    assertThat(manifest).contains("web-01", "\"job\":\"web\"");
    Files.writeString(other.resolve(stamp + "-web.tar.gz.manifest.json"), manifest);
    JsonNode fleet = c.getJson("/api/fleet");
    JsonNode primary = fleet.path("targets").get(0);
    Map<String, String> states = new HashMap<>();
    primary.path("jobs").forEach(j -> states.put(j.path("host").asText() + "/" + j.path("job").asText(), j.path("state").asText()));
    assertThat(states).containsEntry("testhost/docs", "ok").containsEntry("web-01/web", "stale");
  }
}
