package dev.holdfast.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.holdfast.testkit.Cli;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every Holdfast config in examples/ passes {@code config check} (the Prometheus alert rules there
 * are checked by promtool in MetricsPromtoolIT), and the seeds' nightly jobs carry their schedule.
 */
class ExamplesTest {
  @TempDir Path state;

  private static List<Path> configs() throws IOException {
    try (Stream<Path> s = Files.list(Path.of("examples"))) {
      return s.filter(p -> p.toString().endsWith(".yaml") && !p.getFileName().toString().startsWith("prometheus"))
          .sorted().toList();
    }
  }

  @Test
  void everyExampleConfigPassesConfigCheck() throws IOException {
    List<Path> configs = configs();
    assertThat(configs).hasSizeGreaterThanOrEqualTo(5);
    for (Path f : configs) {
      Cli.Result r = new Cli(state).run("--config", f.toString(), "config", "check");
      assertThat(r.exitCode()).as(f + ": " + r.all()).isZero();
      assertThat(r.out()).contains(f + ": OK");
    }
  }

  @Test
  void theSeedsNightlyJobsAreScheduled() {
    Cli.Result nas = new Cli(state).run("--config", "examples/nas-logs.yaml", "schedule", "list");
    assertThat(nas.exitCode()).as(nas.all()).isZero();
    assertThat(nas.out()).contains("traefik-logs").contains("navidrome-logs").contains("03:00");
    Cli.Result mirror = new Cli(state).run("--config", "examples/usb-nas-mirror.yaml", "config", "check");
    assertThat(mirror.out()).contains("(mirror, delete, backup_dir .deleted/{date}, require_mount /mnt/usb-backup (skip))");
  }
}
