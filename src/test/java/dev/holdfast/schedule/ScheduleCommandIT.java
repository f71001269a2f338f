package dev.holdfast.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import dev.holdfast.testkit.Cli;
import dev.holdfast.testkit.Processes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code holdfast schedule list|install} from the CLI: next runs in the config's zone, crontab
 * lines, and systemd units (with the launcher's path from HOLDFAST_LAUNCHER) that {@code
 * systemd-analyze verify} accepts when it is installed.
 */
class ScheduleCommandIT {
  @TempDir Path tmp;

  private Path config() throws Exception {
    Path c = tmp.resolve("holdfast.yaml");
    Files.writeString(c, """
        time_zone: Europe/Berlin
        jobs:
          nightly:
            sources: [/etc/hostname]
            target: %s
            schedule: "30 2 * * *"
            randomized_delay: 10m
          db:
            sources: [/etc/hostname]
            target: %s
            schedule: "@weekly"
          manual:
            sources: [/etc/hostname]
            target: %s
        """.formatted(tmp.resolve("t"), tmp.resolve("t"), tmp.resolve("t")));
    return c;
  }

  @Test
  void listShowsTheNextThreeRunsOfEachScheduledJobInItsZone() throws Exception {
    Cli.Result r = new Cli(tmp.resolve("state")).run("--config", config().toString(), "schedule", "list");
    assertThat(r.exitCode()).as(r.toString()).isZero();
    List<String> lines = r.out().lines().toList();
    assertThat(lines).hasSize(8);
    assertThat(lines.get(0)).isEqualTo("nightly  \"30 2 * * *\" + up to 600 s random delay");
    assertThat(lines.subList(1, 4)).allMatch(l -> l.matches("  \\d{4}-\\d{2}-\\d{2} 0[23]:\\d{2} CES?T"));
    assertThat(lines.get(4)).isEqualTo("db  \"@weekly\"");
    assertThat(lines.subList(5, 8)).allMatch(l -> l.matches("  \\d{4}-\\d{2}-\\d{2} 00:00 CES?T"));
  }

  @Test
  void cronPrintsOneLinePerJobWithTheLauncher() throws Exception {
    Path c = config();
    Cli.Result r = new Cli(tmp.resolve("state")).env("HOLDFAST_LAUNCHER", "/opt/holdfast/holdfast")
        .run("--config", c.toString(), "schedule", "install", "--cron");
    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.out()).contains("CRON_TZ=Europe/Berlin\n",
        "30 2 * * * sleep $(shuf -i 0-600 -n 1) && /opt/holdfast/holdfast --config " + c + " run nightly\n",
        "@weekly /opt/holdfast/holdfast --config " + c + " run db\n");
    assertThat(r.out()).doesNotContain("manual");
  }

  @Test
  void systemdUnitsGoToTheOutputDirAndPassSystemdAnalyzeVerify() throws Exception {
    Path launcher = tmp.resolve("bin/holdfast");
    Files.createDirectories(launcher.getParent());
    Files.writeString(launcher, "#!/bin/sh\nexit 0\n");
    Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path units = tmp.resolve("units");
    Cli.Result r = new Cli(tmp.resolve("state")).env("HOLDFAST_LAUNCHER", launcher.toString())
        .run("--config", config().toString(), "schedule", "install", "--systemd", "--output-dir", units.toString());
    assertThat(r.exitCode()).as(r.toString()).isZero();
    try (var files = Files.list(units)) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder(
          "holdfast-nightly.service", "holdfast-nightly.timer", "holdfast-db.service", "holdfast-db.timer");
    }
    assertThat(Files.readString(units.resolve("holdfast-nightly.service")))
        .contains("ExecStart=" + launcher + " --config " + tmp.resolve("holdfast.yaml") + " run nightly");
    assertThat(Files.readString(units.resolve("holdfast-nightly.timer")))
        .contains("RandomizedDelaySec=600", "Persistent=true");
    if (Processes.onPath("systemd-analyze")) {
      List<String> verify = new ArrayList<>(List.of("systemd-analyze", "verify", "--man=no"));
      try (var files = Files.list(units)) {
        files.sorted().forEach(p -> verify.add(p.toString()));
      }
      var result = Processes.run(tmp, verify);
      assertThat(result.out() + result.err()).as("systemd-analyze verify output").isEmpty();
      assertThat(result.exitCode()).isZero();
    }
  }

  @Test
  void aConfigWithoutSchedulesIsAUsageError() throws Exception {
    Path c = tmp.resolve("plain.yaml");
    Files.writeString(c, "jobs: {a: {sources: [/etc], target: /srv}}\n");
    Cli.Result r = new Cli(tmp.resolve("state")).run("--config", c.toString(), "schedule", "list");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains("error: no job in " + c + " has a schedule");
  }
}
