package dev.holdfast.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.holdfast.testkit.Cli;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Regression: two runs of a job within one second used to collide on the archive name (exit 1). */
class SameSecondBackupTest {
  @TempDir Path dir;

  @Test
  void runsInTheSameSecondGetDistinctNames() throws Exception {
    Path src = Files.createDirectories(dir.resolve("src"));
    Files.writeString(src.resolve("a"), "a");
    Cli cli = new Cli(dir.resolve("state"));
    String t = dir.resolve("t").toString();
    // a name template with year resolution makes the collision certain, not timing-dependent
    for (int i = 0; i < 3; i++) {
      Cli.Result r = cli.run("backup", "--to", t, "--name", "{job}/run-{yyyy}", src.toString());
      assertThat(r.exitCode()).as(r.all()).isZero();
    }
    Cli.Result list = cli.run("list", "--from", t, "--json");
    assertThat(list.out()).containsPattern("run-\\d{4}\\.tar\\.gz\"").containsPattern("run-\\d{4}-2\\.tar\\.gz\"")
        .containsPattern("run-\\d{4}-3\\.tar\\.gz\"");
    assertThat(cli.run("verify", "--from", t, "--all").exitCode()).isZero();
  }
}
