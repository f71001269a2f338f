package dev.holdfast.archive;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The hand-written manifest JSON is exactly what Jackson's pretty printer writes, and reads back. */
class ManifestJsonTest {

  private static final String AWKWARD = "dir/\"quoted\" back\\slash\ttab\nnewline\r\b\f\u0001\u001f \u007f é 日本 😀";

  private static Manifest sample(List<Manifest.ManifestEntry> entries, Boolean encrypted) {
    return new Manifest(Manifest.FORMAT, 1, "daily " + AWKWARD, "host", Instant.parse("2026-11-30T16:33:02.123456789Z"),
        Instant.parse("2026-11-30T16:33:07Z"), "0.1.0-SNAPSHOT",
        new Manifest.ArchiveInfo("a.tar.zst", 618_000_000L, "ab".repeat(32), "zstd", encrypted != null),
        new Manifest.Totals(3, 2, 1, 12345, 0), entries, encrypted);
  }

  private static List<Manifest.ManifestEntry> entries() {
    List<Manifest.ManifestEntry> list = new ArrayList<>();
    list.add(new Manifest.ManifestEntry("src", "dir", 0, null, "0755", Instant.ofEpochSecond(1_700_000_000L), null));
    list.add(new Manifest.ManifestEntry("src/" + AWKWARD, "file", 42, "cd".repeat(32), "0644",
        Instant.ofEpochSecond(0), null));
    list.add(new Manifest.ManifestEntry("src/link", "symlink", 0, null, "0777", Instant.ofEpochSecond(-5), "../" + AWKWARD));
    return list;
  }

  private static String jackson(Object value) throws Exception {
    return new String(Manifest.Reader.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(value), StandardCharsets.UTF_8);
  }

  @Test
  void aManifestIsWrittenAsJacksonWritesIt() throws Exception {
    Manifest m = sample(entries(), null);
    assertThat(new String(m.toJson(), StandardCharsets.UTF_8)).isEqualTo(jackson(m));
    assertThat(Manifest.parse(m.toJson())).isEqualTo(m);
  }

  @Test
  void aLongManifestWrittenInChunksIsStillJacksonsBytes() throws Exception {
    List<Manifest.ManifestEntry> many = new ArrayList<>();
    for (int i = 0; i < 3000; i++) { // about 600 KB of text: encoded in several chunks
      many.add(new Manifest.ManifestEntry("dir/日本 " + i + " 😀 " + AWKWARD, "file", i, "ef".repeat(32), "0600",
          Instant.ofEpochSecond(1_700_000_000L + i, i), null));
    }
    Manifest m = sample(many, null);
    assertThat(new String(m.toJson(), StandardCharsets.UTF_8)).isEqualTo(jackson(m));
    assertThat(new String(Manifest.entriesJson(many), StandardCharsets.UTF_8)).isEqualTo(jackson(many));
  }

  @Test
  void emptyAndEncryptedManifestsToo() throws Exception {
    Manifest empty = sample(List.of(), null);
    assertThat(new String(empty.toJson(), StandardCharsets.UTF_8)).isEqualTo(jackson(empty)).contains("\"entries\" : [ ]");
    Manifest encrypted = sample(List.of(), Boolean.TRUE);
    assertThat(new String(encrypted.toJson(), StandardCharsets.UTF_8)).isEqualTo(jackson(encrypted));
    assertThat(Manifest.parse(encrypted.toJson())).isEqualTo(encrypted);
  }

  @Test
  void theEncryptedEntryListReadsBack() throws Exception {
    List<Manifest.ManifestEntry> list = entries();
    assertThat(new String(Manifest.entriesJson(list), StandardCharsets.UTF_8)).isEqualTo(jackson(list));
    assertThat(Manifest.parseEntries(Manifest.entriesJson(list))).isEqualTo(list);
    assertThat(Manifest.parseEntries(Manifest.entriesJson(List.of()))).isEmpty();
  }
}
