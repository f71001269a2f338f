package dev.holdfast.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Size-based rotation of the run log: holdfast.log, .1 (newest) ... .keep; nothing older kept. */
class RunLogRotationTest {
  private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-01-02T03:00:01Z"), ZoneOffset.UTC);
  @TempDir Path dir;

  @Test
  void rotatesBeforeALineWouldPassTheLimitAndKeepsN() throws IOException {
    Path file = dir.resolve("holdfast.log");
    // each line is 22 (stamp) + 6 ("INFO: ") + 3 + newline = 32 bytes; 100 bytes hold 3 lines
    RunLog log = new RunLog(new PrintWriter(new StringWriter()), file, CLOCK, ZoneOffset.UTC, true, 100, 2);
    for (int i = 0; i < 10; i++) {
      log.line("INFO", String.format("%03d", i));
    }
    assertThat(Files.readAllLines(file)).containsExactly(
        "[2026-01-02 03:00:01] INFO: 009");
    assertThat(Files.readAllLines(dir.resolve("holdfast.log.1"))).extracting(l -> l.substring(28))
        .containsExactly("006", "007", "008");
    assertThat(Files.readAllLines(dir.resolve("holdfast.log.2"))).extracting(l -> l.substring(28))
        .containsExactly("003", "004", "005");
    assertThat(dir.resolve("holdfast.log.3")).doesNotExist();
    for (Path p : List.of(file, dir.resolve("holdfast.log.1"), dir.resolve("holdfast.log.2"))) {
      assertThat(Files.size(p)).isLessThanOrEqualTo(100);
    }
    assertThat(log.tail(2)).extracting(l -> l.substring(28)).containsExactly("009");
  }

  @Test
  void keepZeroStartsOverAndTailReadsTheLastLines() throws IOException {
    Path file = dir.resolve("holdfast.log");
    RunLog log = new RunLog(new PrintWriter(new StringWriter()), file, CLOCK, ZoneOffset.UTC, true, 100, 0);
    for (int i = 0; i < 5; i++) {
      log.line("INFO", String.format("%03d", i));
    }
    assertThat(Files.readAllLines(file)).extracting(l -> l.substring(28)).containsExactly("003", "004");
    assertThat(log.tail(1)).extracting(l -> l.substring(28)).containsExactly("004");
    try (var files = Files.list(dir)) {
      assertThat(files).containsExactly(file);
    }
  }
}
