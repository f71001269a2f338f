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
}
