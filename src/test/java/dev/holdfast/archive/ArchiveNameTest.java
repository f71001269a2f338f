package dev.holdfast.archive;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import org.junit.jupiter.api.Test;

class ArchiveNameTest {
  private static final ZonedDateTime T = ZonedDateTime.of(2026, 1, 2, 3, 4, 5, 0, ZoneOffset.UTC);

  @Test
  void rendersTheDefaultTemplate() {
    assertThat(ArchiveName.of(ArchiveName.DEFAULT_TEMPLATE).render("daily", "nas", T, ".tar.gz"))
        .isEqualTo("daily/2026-01-02_030405-daily.tar.gz");
  }

  @Test
  void expressesTheSeedsLayout() {
    String t = "backups/{yyyy-MM-dd_HHmm}-backup.tar.gz";
    assertThat(ArchiveName.problems(t, Compression.GZIP)).isEmpty();
    assertThat(ArchiveName.of(t).render("x", "h", T, ".tar.gz")).isEqualTo("backups/2026-01-02_0304-backup.tar.gz");
  }

  @Test
  void appendsTheExtensionWhenMissingAndHostIsReplaced() {
    assertThat(ArchiveName.of("{host}/{yyyyMMdd'T'HHmmss}").render("j", "web1", T, ".tar.zst"))
        .isEqualTo("web1/20260102T030405.tar.zst");
  }

  @Test
  void encryptionAddsItsSuffixToATemplateWithAnExtension() {
    assertThat(ArchiveName.of("{job}/{yyyy}.tar.gz").render("j", "h", T, ".tar.gz.gpg")).isEqualTo("j/2026.tar.gz.gpg");
  }

  @Test
  void reportsTemplateProblems() {
    assertThat(ArchiveName.problems("{job}/static.tar.gz", Compression.GZIP)).singleElement().asString()
        .contains("date-time placeholder");
    assertThat(ArchiveName.problems("{job}/{yyyy-MM-dd}.tar.gz", Compression.ZSTD)).singleElement().asString()
        .contains("compression is zstd");
    assertThat(ArchiveName.problems("../{yyyy}", Compression.GZIP)).isNotEmpty();
    assertThat(ArchiveName.problems("{job}/{qqqqqq}", Compression.GZIP)).anyMatch(p -> p.contains("{qqqqqq}"));
  }

  @Test
  void defaultTemplateTakesTheExtensionOfEveryCompression() {
    // it used to end in .tar.gz: zstd ad-hoc backups were refused and zstd/none config jobs misnamed
    for (Compression c : Compression.values()) {
      assertThat(ArchiveName.problems(ArchiveName.DEFAULT_TEMPLATE, c)).as(c.configName()).isEmpty();
      assertThat(ArchiveName.of(ArchiveName.DEFAULT_TEMPLATE).render("daily", "nas", T, c.extension()))
          .isEqualTo("daily/2026-01-02_030405-daily" + c.extension());
    }
  }

  @Test
  void anExtensionMustNameTheCompressionExactly() {
    // ".tar.gz".startsWith(".tar") once let an uncompressed archive be named .tar.gz
    assertThat(ArchiveName.problems("{job}/{yyyy}.tar.gz", Compression.NONE)).singleElement().asString()
        .contains("compression is none");
    assertThat(ArchiveName.problems("{job}/{yyyy}.tar.zst", Compression.NONE)).isNotEmpty();
    assertThat(ArchiveName.problems("{job}/{yyyy}.tar", Compression.NONE)).isEmpty();
    assertThat(ArchiveName.problems("{job}/{yyyy}.tgz", Compression.GZIP)).isEmpty();
    assertThat(ArchiveName.problems("{job}/{yyyy}.tar.zst.gpg", Compression.ZSTD)).isEmpty();
    assertThat(ArchiveName.problems("{job}/{yyyy}.tar.gpg", Compression.GZIP)).isNotEmpty();
  }

  @Test
  void readsTimesFromScriptNames() {
    ZoneId utc = ZoneOffset.UTC;
    assertThat(ArchiveName.timeIn("backups/2025-06-12_0200-backup.tar.gz", utc))
        .contains(Instant.parse("2025-06-12T02:00:00Z"));
    assertThat(ArchiveName.timeIn("daily/2026-01-02_030405-daily.tar.gz", utc))
        .contains(Instant.parse("2026-01-02T03:04:05Z"));
    assertThat(ArchiveName.timeIn("logs-20250612.tar.gz", utc)).contains(Instant.parse("2025-06-12T00:00:00Z"));
    assertThat(ArchiveName.timeIn("traefik/logs.tar.gz", utc)).isEmpty();
    assertThat(ArchiveName.timeIn("x-9999-99-99.tar.gz", utc)).isEmpty();
  }

  @Test
  void recognisesArchiveExtensions() {
    assertThat(ArchiveName.isArchive("a/b.tar.gz")).isTrue();
    assertThat(ArchiveName.isArchive("a/b.tgz")).isTrue();
    assertThat(ArchiveName.isArchive("a/b.tar.zst.gpg")).isTrue();
    assertThat(ArchiveName.isArchive("a/b.tar.gz.sha256")).isFalse();
    assertThat(ArchiveName.isArchive("a/b.tar.gz.manifest.json")).isFalse();
  }
}
