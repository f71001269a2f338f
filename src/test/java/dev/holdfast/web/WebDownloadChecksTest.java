package dev.holdfast.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.holdfast.archive.ArchiveName;
import dev.holdfast.archive.ArchiveSettings;
import dev.holdfast.archive.Compression;
import java.io.IOException;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A single-file download from a damaged archive is never a complete-looking 200: the end checks
 * (the manifest entry's SHA-256, else the whole object's SHA-256 and the compressor's CRC) run
 * before the last byte goes out, and a failed one closes the connection instead.
 */
class WebDownloadChecksTest {
  @TempDir Path tmp;
  private WebFixture f;
  private WebClient c;
  private String prefix;
  private String archive;

  @BeforeEach
  void start() throws Exception {
    f = new WebFixture(tmp, "127.0.0.1", WebSettings.open());
    Files.createFile(f.source.resolve("empty"));
    // uncompressed, so a flipped byte inside a file's content is found by the content checks alone
    f.job = f.job.withArchive(new ArchiveSettings(Compression.NONE, 0, 1, ArchiveName.of(ArchiveName.DEFAULT_TEMPLATE)), null);
    archive = f.backupOnly().record().backup();
    c = new WebClient(f).session();
    prefix = f.source.toString().substring(1);
  }

  @AfterEach
  void stop() {
    f.close();
  }

  private String download(String file) {
    return "/api/jobs/docs/targets/0/download?backup=" + java.net.URLEncoder.encode(archive, StandardCharsets.UTF_8)
        + "&path=" + java.net.URLEncoder.encode(prefix + "/" + file, StandardCharsets.UTF_8).replace("+", "%20");
  }

  /** Flips one byte in the middle of {@code file}'s content inside the stored archive. */
  private void damage(String file) throws IOException {
    Path stored = f.target.resolve(archive);
    byte[] a = Files.readAllBytes(stored);
    byte[] content = Files.readAllBytes(f.source.resolve(file));
    int at = indexOf(a, Arrays.copyOf(content, 64));
    assertThat(at).as("the file's content in the archive").isPositive();
    a[at + content.length / 2] ^= 0x01;
    Files.write(stored, a);
  }

  private static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  @Test
  void anIntactFileDownloadsWhole() throws Exception {
    HttpResponse<byte[]> r = c.get(download("notes/deep/b.bin"));
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo(Files.readAllBytes(f.source.resolve("notes/deep/b.bin")));
    assertThat(c.get(download("readme.md")).body()).isEqualTo(Files.readAllBytes(f.source.resolve("readme.md")));
    HttpResponse<byte[]> empty = c.get(download("empty"));
    assertThat(empty.statusCode()).isEqualTo(200);
    assertThat(empty.body()).isEmpty();
  }

  @Test
  void aFileThatDiffersFromItsManifestEntryIsCutShort() throws Exception {
    damage("notes/deep/b.bin");
    assertThatThrownBy(() -> c.get(download("notes/deep/b.bin"))).isInstanceOf(IOException.class);
    assertThat(f.logText()).contains("does not match the SHA-256 its manifest records", "response cut short");
    // on the wire: the announced length, one byte short, then the connection closes
    try (Socket s = new Socket("127.0.0.1", f.server.port())) {
      s.getOutputStream().write(("GET " + download("notes/deep/b.bin") + " HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: "
          + c.cookie + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      s.setSoTimeout(30_000);
      byte[] got = s.getInputStream().readAllBytes();
      String head = new String(got, 0, Math.min(got.length, 2000), StandardCharsets.ISO_8859_1);
      assertThat(head).startsWith("HTTP/1.1 200").containsIgnoringCase("Content-Length: 200000");
      int body = head.indexOf("\r\n\r\n") + 4;
      assertThat(got.length - body).isEqualTo(200_000 - 1);
    }
    // the other files of the archive are intact and still download
    assertThat(c.get(download("notes/a.txt")).body()).isEqualTo(Files.readAllBytes(f.source.resolve("notes/a.txt")));
  }

  @Test
  void withoutAManifestTheWholeArchiveIsReadAndCheckedAgainstItsChecksum() throws Exception {
    damage("photos/c [1].jpg");
    Files.delete(f.target.resolve(archive + ".manifest.json"));
    // the damaged file itself, and an intact one: the object's SHA-256 no longer matches its .sha256
    for (String file : new String[] {"photos/c [1].jpg", "notes/a.txt"}) {
      assertThatThrownBy(() -> c.get(download(file))).as(file).isInstanceOf(IOException.class);
    }
    assertThat(f.logText()).contains("does not match its recorded SHA-256");
  }

  @Test
  void aTruncatedArchiveNeverGivesACompleteFile() throws Exception {
    Path stored = f.target.resolve(archive);
    byte[] a = Files.readAllBytes(stored);
    int at = indexOf(a, Arrays.copyOf(Files.readAllBytes(f.source.resolve("notes/deep/b.bin")), 64));
    Files.write(stored, Arrays.copyOf(a, at + 100_000));
    assertThatThrownBy(() -> c.get(download("notes/deep/b.bin"))).isInstanceOf(IOException.class);
  }
}
