package dev.holdfast.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The launcher's training run: a command the CLI no longer takes would quietly leave its classes out of the archive. */
class StartupTrainingTest {
  @TempDir Path dir;

  @Test
  void everyTrainingCommandSucceeds() throws Exception {
    assertThat(StartupTraining.train(dir)).hasSize(12).containsOnly(0);
  }

  @Test
  void everyDataTrainingCommandSucceeds() throws Exception {
    assertThat(StartupTraining.trainData(dir, false)).hasSize(6).containsOnly(0);
    assertThat(StartupTraining.trainData(dir, true)).hasSize(2).containsOnly(0);
    Path restored;
    try (var files = java.nio.file.Files.walk(dir.resolve("restored"))) {
      restored = files.filter(p -> p.getFileName().toString().equals("log.txt")).findFirst().orElseThrow();
    }
    assertThat(restored).hasSameBinaryContentAs(dir.resolve("src/log.txt"));
  }
}
