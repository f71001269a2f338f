package dev.holdfast.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.holdfast.backend.LocalBackend;
import dev.holdfast.error.HoldfastException;
import dev.holdfast.event.EventSink;
import dev.holdfast.source.Entry;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Instant;
import java.util.HexFormat;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Entries of unknown length (dumps) go through an encrypted spool into a normal tar entry. */
class StreamEntryTest {
  @TempDir Path dir;

  private static Entry stream(String path, Entry.Content content) {
    return new Entry(path, Entry.Kind.FILE, -1, 0600, Instant.parse("2026-01-02T03:00:00Z"), 0, 0, "", "", null, content);
  }

  @Test
  void aStreamOfUnknownLengthIsStoredWhole_andTheSpoolHoldsNoPlaintext() throws Exception {
    Path spool = Files.createDirectories(dir.resolve("spool"));
    byte[] dump = ("CREATE TABLE secret_customers (name text);\n").repeat(200_000).getBytes();
    LocalBackend backend = new LocalBackend(dir.resolve("t"));
    // watch the spool directory while the dump is being written: no plaintext may appear there
    boolean[] plaintextSeen = {false};
    Entry e = stream("db/shop.sql", () -> new java.io.ByteArrayInputStream(dump) {
      @Override
      public synchronized int read(byte[] b, int off, int len) {
        try (Stream<Path> s = Files.list(spool)) {
          for (Path p : s.toList()) {
            if (new String(Files.readAllBytes(p)).contains("secret_customers")) {
              plaintextSeen[0] = true;
            }
          }
        } catch (IOException ignored) {
          // the file may be gone between list and read
        }
        return super.read(b, off, Math.min(len, 1 << 20));
      }
    });
    try (ArchiveWriter w = new ArchiveWriter(backend, "j/a.tar.gz", ArchiveSettings.defaults(), "j", "h",
        Clock.systemUTC(), EventSink.NONE).spoolIn(spool)) {
      w.add(e);
      w.finish();
    }
    assertThat(plaintextSeen[0]).isFalse();
    try (Stream<Path> s = Files.list(spool)) {
      assertThat(s.toList()).as("spool file removed").isEmpty();
    }
    Process tar = new ProcessBuilder("tar", "-xzOf", dir.resolve("t/j/a.tar.gz").toString(), "db/shop.sql").start();
    byte[] out = tar.getInputStream().readAllBytes();
    assertThat(tar.waitFor()).isZero();
    assertThat(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(out)))
        .isEqualTo(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(dump)));
  }

  @Test
  void aFailingProducerFailsTheBackupAndPublishesNothing() {
    LocalBackend backend = new LocalBackend(dir.resolve("t2"));
    Entry e = stream("db/x.sql", () -> new InputStream() {
      int n;

      @Override
      public int read() throws IOException {
        if (n++ > 1000) {
          throw new IOException("pg_dump exited with code 1: connection refused");
        }
        return 'x';
      }
    });
    assertThatThrownBy(() -> {
      try (ArchiveWriter w = new ArchiveWriter(backend, "j/b.tar.gz", ArchiveSettings.defaults(), "j", "h",
          Clock.systemUTC(), EventSink.NONE).spoolIn(dir.resolve("spool2"))) {
        w.add(e);
        w.finish();
      }
    }).isInstanceOf(HoldfastException.class).hasMessageContaining("pg_dump exited with code 1");
    assertThat(new ArchiveCatalog(backend, java.time.ZoneOffset.UTC).items()).isEmpty();
  }

  @Test
  void aPathNamedByTwoSourcesIsStoredOnceAndVerifies() throws Exception {
    LocalBackend backend = new LocalBackend(dir.resolve("t3"));
    java.util.List<dev.holdfast.event.BackupEvent> events = new java.util.ArrayList<>();
    int[] secondOpened = {0};
    try (ArchiveWriter w = new ArchiveWriter(backend, "j/c.tar.gz", ArchiveSettings.defaults(), "j", "h",
        Clock.systemUTC(), events::add).spoolIn(Files.createDirectories(dir.resolve("spool3")))) {
      w.add(stream("db/crm.sql", () -> new java.io.ByteArrayInputStream("-- dump completed 03:00:01\n".getBytes())));
      w.add(stream("db/crm.sql", () -> {
        secondOpened[0]++;
        return new java.io.ByteArrayInputStream("-- dump completed 03:00:02\n".getBytes());
      }));
      w.finish();
    }
    assertThat(secondOpened[0]).as("the second dump is not even taken").isZero();
    assertThat(events).filteredOn(e -> e instanceof dev.holdfast.event.BackupEvent.Note)
        .singleElement().asString().contains("db/crm.sql is stored already");
    Process tar = new ProcessBuilder("tar", "-tzf", dir.resolve("t3/j/c.tar.gz").toString()).start();
    assertThat(new String(tar.getInputStream().readAllBytes()).lines()).containsExactly("db/crm.sql");
    assertThat(tar.waitFor()).isZero();
    var report = new dev.holdfast.verify.ArchiveVerifier().verify(
        new ArchiveCatalog(backend, java.time.ZoneOffset.UTC).items().get(0), dev.holdfast.verify.VerifyLevel.FULL);
    assertThat(report.ok()).as(report.toString()).isTrue();
  }
}
