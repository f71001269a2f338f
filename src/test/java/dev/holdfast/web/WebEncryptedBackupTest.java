package dev.holdfast.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An OpenPGP-encrypted archive is browsed, downloaded, verified and restored with the job's own key. */
class WebEncryptedBackupTest {
  @TempDir Path tmp;

  @Test
  void encryptedBackupsAreBrowsedAndDownloadedWithTheJobsKey() throws Exception {
    try (WebFixture f = new WebFixture(tmp, "127.0.0.1", WebSettings.open())) {
      f.encryptWith("correct horse battery");
      f.backup();
      WebClient c = new WebClient(f).session();
      String backup = c.getJson("/api/jobs/docs").path("targets").get(0).path("backups").get(0).path("id").asText();
      assertThat(backup).endsWith(".tar.gz.gpg");
      String dir = f.source.toString().substring(1) + "/notes";
      JsonNode tree = c.getJson("/api/jobs/docs/targets/0/tree?backup=" + enc(backup) + "&path=" + enc(dir));
      List<String> names = new ArrayList<>();
      tree.path("entries").forEach(e -> names.add(e.path("name").asText()));
      assertThat(names).containsExactly("deep", "a.txt");
      HttpResponse<byte[]> file = c.get("/api/jobs/docs/targets/0/download?backup=" + enc(backup) + "&path=" + enc(dir + "/a.txt"));
      assertThat(file.statusCode()).isEqualTo(200);
      assertThat(file.body()).isEqualTo(Files.readAllBytes(f.source.resolve("notes/a.txt")));
      JsonNode verify = c.awaitOp(c.postJson("/api/jobs/docs/verify", Map.of("level", "restore-test")).path("id").asText());
      assertThat(verify.path("state").asText()).as(verify.toString()).isEqualTo("done");
      // the stored object itself is not readable as gzip
      byte[] stored = Files.readAllBytes(f.target.resolve(backup));
      assertThat(stored[0] == 0x1f && stored[1] == (byte) 0x8b).isFalse();
    }
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
