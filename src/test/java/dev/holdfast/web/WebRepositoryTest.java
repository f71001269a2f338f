package dev.holdfast.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.holdfast.backend.LocalBackend;
import dev.holdfast.job.Hooks;
import dev.holdfast.job.Job;
import dev.holdfast.job.RepositoryFormat;
import dev.holdfast.mirror.ExcludeRules;
import dev.holdfast.mirror.LocalTree;
import dev.holdfast.mirror.MirrorJob;
import dev.holdfast.mirror.MirrorRequest;
import dev.holdfast.mirror.MirrorRunner;
import dev.holdfast.repository.BlobType;
import dev.holdfast.repository.IndexFile;
import dev.holdfast.repository.Node;
import dev.holdfast.repository.ObjectId;
import dev.holdfast.repository.PackedBlob;
import dev.holdfast.repository.Repository;
import dev.holdfast.retention.RetentionPolicy;
import dev.holdfast.verify.VerifyLevel;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard's API on a job with {@code format: repository}: snapshots written by the real job
 * runner into a real repository are listed, browsed from their tree blobs, downloaded (a file, a
 * directory as .tar.gz), verified and restored through the confirmation step; a damaged blob cuts
 * a download short. And a mirror job, run by the real mirror runner, shows with its history.
 */
class WebRepositoryTest {
  private static final String PASSWORD = "correct horse battery staple";
  @TempDir Path tmp;
  private WebFixture f;
  private WebClient c;
  private Path repo;
  private String prefix;

  @BeforeEach
  void start() throws Exception {
    f = new WebFixture(tmp, "127.0.0.1", WebSettings.open());
    repo = tmp.resolve("repo");
    Repository.init(new LocalBackend(repo), PASSWORD).close();
    f.job = new Job(WebFixture.JOB, f.job.sources(), repo.toString(), f.job.archive(), Hooks.none(), VerifyLevel.QUICK,
        List.of(), RetentionPolicy.none(), false, Duration.ofHours(25), List.of(), null,
        new RepositoryFormat(() -> PASSWORD));
    f.backup();
    f.backup();
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

  private static String q(String backup, String path) {
    return "?backup=" + java.net.URLEncoder.encode(backup, StandardCharsets.UTF_8)
        + "&path=" + java.net.URLEncoder.encode(path, StandardCharsets.UTF_8).replace("+", "%20");
  }

  @Test
  void theJobPageAndOverviewListTheSnapshots() throws Exception {
    JsonNode d = c.getJson("/api/jobs/docs");
    assertThat(d.path("status").path("kind").asText()).isEqualTo("repository");
    assertThat(d.path("status").path("state").asText()).isEqualTo("ok");
    JsonNode backups = d.path("targets").get(0).path("backups");
    assertThat(backups).hasSize(2);
    for (JsonNode b : backups) {
      assertThat(b.path("format").asText()).isEqualTo("repository");
      assertThat(b.path("id").asText()).matches("[0-9a-f]{64}");
      assertThat(b.path("host").asText()).isEqualTo("testhost");
    }
    assertThat(d.path("status").path("backup").asText()).isEqualTo(backups.get(0).path("id").asText());
    JsonNode o = c.getJson("/api/overview");
    assertThat(o.path("jobs").get(0).path("state").asText()).isEqualTo("ok");
    assertThat(o.path("targets").get(0).path("backups").asInt()).isEqualTo(2);
    assertThat(c.getJson("/api/fleet").path("targets").get(0).path("jobs").get(0).path("backups").asInt()).isEqualTo(2);
  }

  @Test
  void aSnapshotIsBrowsedFromItsTreeBlobs() throws Exception {
    String b = newest();
    JsonNode root = c.getJson("/api/jobs/docs/targets/0/tree" + q(b, ""));
    assertThat(root.path("format").asText()).isEqualTo("repository");
    assertThat(root.path("entries").get(0).path("type").asText()).isEqualTo("dir");
    JsonNode src = c.getJson("/api/jobs/docs/targets/0/tree" + q(b, prefix));
    List<String> names = new ArrayList<>();
    src.path("entries").forEach(e -> names.add(e.path("name").asText() + ":" + e.path("type").asText()));
    assertThat(names).containsExactly("notes:dir", "photos:dir", "readme.md:file");
    JsonNode readme = src.path("entries").get(2);
    assertThat(readme.path("path").asText()).isEqualTo(prefix + "/readme.md");
    assertThat(readme.path("size").asLong()).isEqualTo(8);
    assertThat(readme.path("mode").asText()).matches("0[0-7]{3}");
    assertThat(readme.path("mtime").asText()).isNotEmpty();
    assertThat(c.get("/api/jobs/docs/targets/0/tree" + q(b, prefix + "/nothing")).statusCode()).isEqualTo(404);
    assertThat(c.get("/api/jobs/docs/targets/0/tree" + q(b, prefix + "/readme.md")).statusCode()).isEqualTo(404);
    assertThat(c.get("/api/jobs/docs/targets/0/tree" + q(b, prefix + "/../etc")).statusCode()).isEqualTo(400);
    assertThat(c.get("/api/jobs/docs/targets/0/tree" + q("0".repeat(64), "")).statusCode()).isEqualTo(404);
    assertThat(c.get("/api/jobs/docs/targets/0/tree" + q(b.substring(0, 8), "")).statusCode()).isEqualTo(404);
  }

  @Test
  void aFileDownloadsWithItsExactBytesAndADirectoryAsATarGz() throws Exception {
    HttpResponse<byte[]> r = c.get("/api/jobs/docs/targets/0/download" + q(newest(), prefix + "/notes/deep/b.bin"));
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo(Files.readAllBytes(f.source.resolve("notes/deep/b.bin")));
    assertThat(r.headers().firstValue("Content-Disposition").orElseThrow()).contains("filename=\"b.bin\"");

    HttpResponse<byte[]> dir = c.get("/api/jobs/docs/targets/0/download" + q(newest(), prefix + "/notes"));
    assertThat(dir.statusCode()).isEqualTo(200);
    assertThat(dir.headers().firstValue("Content-Type").orElseThrow()).isEqualTo("application/gzip");
    Map<String, byte[]> files = new HashMap<>();
    List<String> dirs = new ArrayList<>();
    try (TarArchiveInputStream tar = new TarArchiveInputStream(new GzipCompressorInputStream(new ByteArrayInputStream(dir.body())))) {
      TarArchiveEntry e;
      while ((e = tar.getNextEntry()) != null) {
        if (e.isFile()) {
          files.put(e.getName(), tar.readAllBytes());
        } else if (e.isDirectory()) {
          dirs.add(e.getName());
        }
      }
    }
    assertThat(files.keySet()).containsExactlyInAnyOrder("notes/a.txt", "notes/deep/b.bin");
    assertThat(dirs).contains("notes/", "notes/deep/");
    assertThat(files.get("notes/a.txt")).isEqualTo(Files.readAllBytes(f.source.resolve("notes/a.txt")));
    assertThat(c.get("/api/jobs/docs/targets/0/download" + q(newest(), prefix + "/none")).statusCode()).isEqualTo(404);
  }

  @Test
  void aSnapshotRestoresThroughTheConfirmationStep() throws Exception {
    Path into = tmp.resolve("restored");
    Map<String, Object> req = new HashMap<>(Map.of("backup", newest(), "path", prefix + "/notes", "into", into.toString()));
    JsonNode preview = c.postJson("/api/jobs/docs/restore/preview", req);
    assertThat(preview.path("files").asInt()).isEqualTo(2);
    assertThat(preview.path("bytes").asLong()).isEqualTo(12_345 + 200_000);
    assertThat(preview.path("summary").asText()).contains("write 2 files", into.toString());
    assertThat(Files.exists(into)).as("a preview writes nothing").isFalse();
    assertThat(c.post("/api/jobs/docs/restore", req).statusCode()).as("unconfirmed").isEqualTo(409);
    assertThat(Files.exists(into.resolve(prefix))).isFalse();

    req.put("confirm", preview.path("confirm").asText());
    JsonNode done = c.postJson("/api/jobs/docs/restore", req);
    assertThat(done.path("result").path("files").asInt()).isEqualTo(2);
    assertThat(Files.readAllBytes(into.resolve(prefix + "/notes/deep/b.bin")))
        .isEqualTo(Files.readAllBytes(f.source.resolve("notes/deep/b.bin")));
    assertThat(Files.exists(into.resolve(prefix + "/photos"))).isFalse();
    JsonNode again = c.postJson("/api/jobs/docs/restore/preview", req);
    assertThat(again.path("conflicts").asInt()).isEqualTo(2);
  }

  @Test
  void verifyNowChecksTheSnapshotAndForgetIsLeftToTheCli() throws Exception {
    JsonNode op = c.awaitOp(c.postJson("/api/jobs/docs/verify", Map.of("level", "full")).path("id").asText());
    assertThat(op.path("state").asText()).as(op.toString()).isEqualTo("done");
    assertThat(op.path("message").asText()).startsWith("ok: " + newest());
    HttpResponse<byte[]> forget = c.post("/api/jobs/docs/forget", Map.of("dry_run", true));
    assertThat(forget.statusCode()).isEqualTo(400);
    assertThat(new String(forget.body())).contains("holdfast forget");
  }

  @Test
  void aDamagedBlobCutsTheFileDownloadShortInsteadOfCompletingIt() throws Exception {
    String b = newest();
    String file = prefix + "/photos/c [1].jpg";
    // find the file's data blob through the repository's public API, and flip a byte in its pack
    try (Repository r = Repository.open(new LocalBackend(repo), PASSWORD)) {
      ObjectId tree = r.loadSnapshot(ObjectId.parse(b)).tree();
      Node node = null;
      for (String part : file.split("/")) {
        node = r.loadTree(tree).nodes().stream().filter(n -> n.name().equals(part)).findFirst().orElseThrow();
        tree = node.subtree();
      }
      ObjectId blob = node.content().get(node.content().size() - 1);
      boolean flipped = false;
      for (IndexFile.Pack p : r.readIndex()) {
        for (PackedBlob pb : p.blobs()) {
          if (pb.type() == BlobType.DATA && pb.id().equals(blob)) {
            Path pack = repo.resolve(Repository.packKeyOf(p.id()));
            byte[] bytes = Files.readAllBytes(pack);
            bytes[(int) pb.offset() + pb.length() / 2] ^= 0x40;
            Files.write(pack, bytes);
            flipped = true;
          }
        }
      }
      assertThat(flipped).isTrue();
    }
    String path = "/api/jobs/docs/targets/0/download" + q(b, file);
    assertThatThrownBy(() -> c.get(path)).as("a 200 whose body ends early, never a complete one").isInstanceOf(IOException.class);
    assertThat(f.logText()).contains("response cut short");
    // the directory holding it: the .tar.gz stream ends without its final chunk
    assertThatThrownBy(() -> c.get("/api/jobs/docs/targets/0/download" + q(b, prefix + "/photos")))
        .isInstanceOf(IOException.class);
    // the other files of the snapshot still download
    assertThat(c.get("/api/jobs/docs/targets/0/download" + q(b, prefix + "/readme.md")).body())
        .isEqualTo(Files.readAllBytes(f.source.resolve("readme.md")));
  }

  @Test
  void aMirrorJobShowsWithItsStateLastRunAndHistory() throws Exception {
    Path dest = tmp.resolve("mirror");
    f.mirrors = List.of(new DashboardContext.Mirror("copy", List.of(f.source.toString()), dest.toString(),
        Duration.ofHours(25)));
    assertThat(c.getJson("/api/overview").path("jobs").get(1).path("state").asText()).isEqualTo("missing");
    MirrorRunner runner = new MirrorRunner(f.stateDir, f.state, f.log, Clock.systemUTC(), ZoneOffset.UTC, "testhost",
        d -> new LocalTree(Path.of(d)), f.dashboard.runListener());
    runner.run(new MirrorJob("copy", new MirrorRequest(List.of(f.source), dest.toString(), false, false, null,
        ExcludeRules.none(), false), dest.toString(), null, Duration.ofHours(25)), line -> { });
    assertThat(Files.readAllBytes(dest.resolve("notes/a.txt"))).isEqualTo(Files.readAllBytes(f.source.resolve("notes/a.txt")));

    JsonNode copy = c.getJson("/api/overview").path("jobs").get(1);
    assertThat(copy.path("job").asText()).isEqualTo("copy");
    assertThat(copy.path("kind").asText()).isEqualTo("mirror");
    assertThat(copy.path("state").asText()).isEqualTo("ok");
    assertThat(copy.path("last_run").asText()).isEqualTo("SUCCESS");
    assertThat(copy.path("age_seconds").asLong()).isBetween(0L, 60L);
    assertThat(copy.path("last_size").asLong()).isEqualTo(12_345 + 200_000 + 70_000 + 8);
    assertThat(copy.path("recent")).hasSize(1);

    JsonNode d = c.getJson("/api/jobs/copy");
    assertThat(d.path("status").path("kind").asText()).isEqualTo("mirror");
    assertThat(d.path("runs")).hasSize(1);
    assertThat(d.path("runs").get(0).path("status").asText()).isEqualTo("SUCCESS");
    assertThat(d.path("targets")).isEmpty();
    long id = d.path("runs").get(0).path("id").asLong();
    List<String> lines = new ArrayList<>();
    c.getJson("/api/jobs/copy/runs/" + id + "/log").path("lines").forEach(l -> lines.add(l.asText()));
    assertThat(lines).anyMatch(l -> l.contains("copy"));
    HttpResponse<byte[]> run = c.post("/api/jobs/copy/run", Map.of());
    assertThat(run.statusCode()).isEqualTo(400);
    assertThat(new String(run.body())).contains("mirror job");
    assertThat(c.get("/api/jobs/copy/retention").statusCode()).isEqualTo(400);
  }
}
