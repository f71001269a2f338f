package dev.holdfast.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.holdfast.testkit.Cli;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** forget and the run lifecycle's cleanup step from the CLI, on real archives in a local target. */
class ForgetCliTest {
  @TempDir Path dir;

  private Path backupOnce(Cli cli, Path target, String job) throws IOException {
    Path src = Files.createDirectories(dir.resolve("src"));
    Files.writeString(src.resolve("f.txt"), "data");
    Cli.Result r = cli.run("backup", "--to", target.toString(), "--job-name", job, src.toString());
    assertThat(r.exitCode()).as(r.all()).isZero();
    try (Stream<Path> s = Files.walk(target)) {
      return s.filter(p -> p.toString().endsWith(".tar.gz")).sorted().reduce((a, b) -> b).orElseThrow();
    }
  }

  /** Copies a real archive with its sidecars under a dated name, rewriting time and host in the manifest. */
  private void clone(Path archive, Path target, String job, String stamp, String host) throws IOException {
    String name = job + "/" + stamp + "-" + job + ".tar.gz";
    Path dest = target.resolve(name);
    Files.createDirectories(dest.getParent());
    Files.copy(archive, dest);
    Files.copy(Path.of(archive + ".sha256"), Path.of(dest + ".sha256"));
    String manifest = Files.readString(Path.of(archive + ".manifest.json"));
    String iso = stamp.substring(0, 10) + "T" + stamp.substring(11, 13) + ":" + stamp.substring(13, 15) + ":00Z";
    manifest = manifest.replaceFirst("\"started\" : \"[^\"]+\"", "\"started\" : \"" + iso + "\"")
        .replaceFirst("\"host\" : \"[^\"]+\"", "\"host\" : \"" + host + "\"");
    Files.writeString(Path.of(dest + ".manifest.json"), manifest);
  }

  private static List<String> names(Path target) throws IOException {
    try (Stream<Path> s = Files.walk(target)) {
      return s.filter(Files::isRegularFile).map(p -> target.relativize(p).toString()).sorted().toList();
    }
  }

  @Test
  void forgetRemovesArchivesWithSidecarsLogsEachAndSparesOtherHosts() throws IOException {
    Cli cli = new Cli(dir.resolve("state")).env("TZ", "UTC");
    Path target = dir.resolve("t");
    Path first = backupOnce(cli, target, "seed");
    for (int d = 1; d <= 10; d++) {
      clone(first, target, "daily", String.format("2026-10-%02d_0300", d), "me");
      clone(first, target, "daily", String.format("2026-10-%02d_0300", d).replace("_0300", "_0400"), "otherhost");
    }
    List<String> before = names(target);
    Cli.Result dry = cli.run("forget", "--from", target.toString(), "--host", "me", "--keep-last", "3", "--dry-run");
    assertThat(dry.exitCode()).as(dry.all()).isZero();
    assertThat(dry.out()).contains("3 to keep, 7 to remove (dry run: nothing removed)");
    assertThat(names(target)).isEqualTo(before);

    Cli.Result r = cli.run("forget", "--from", target.toString(), "--host", "me", "--keep-last", "3");
    assertThat(r.exitCode()).as(r.all()).isZero();
    List<String> after = names(target);
    assertThat(after.stream().filter(n -> n.contains("_0300-daily")).toList())
        .hasSize(9) // three archives, each with checksum and manifest
        .allMatch(n -> n.contains("2026-10-08") || n.contains("2026-10-09") || n.contains("2026-10-10"));
    assertThat(after.stream().filter(n -> n.contains("_0400-daily")).toList()).as("other host untouched").hasSize(30);
    String log = Files.readString(dir.resolve("state/holdfast.log"));
    assertThat(log.lines().filter(l -> l.contains("REMOVED: daily/2026-10-0")).count()).isEqualTo(7);
  }

  @Test
  void aJobWhoseLatestRunFailedIsNotPruned() throws IOException {
    Path target = dir.resolve("t2");
    Path config = dir.resolve("c.yaml");
    Files.writeString(config, """
        jobs:
          app:
            sources: [%s]
            target: %s
            retention: { keep_last: 1 }
        """.formatted(dir.resolve("missing-src"), target));
    Cli cli = new Cli(dir.resolve("state2"));
    Path real = backupOnce(cli, target, "app");
    clone(real, target, "app", "2020-01-01_0300", hostOf(real));
    // the job's own run fails (its source is missing), so its history's latest run is a failure
    assertThat(cli.run("--config", config.toString(), "backup", "app").exitCode()).isEqualTo(2);
    // the dry run says what the real one will do: nothing
    Cli.Result dry = cli.run("--config", config.toString(), "forget", "--job", "app", "--dry-run");
    assertThat(dry.exitCode()).as(dry.toString()).isZero();
    assertThat(dry.out()).contains("job app: nothing would be removed: not applying retention to job app: its latest run failed")
        .doesNotContain("remove ");
    Cli.Result json = cli.run("--config", config.toString(), "--json", "forget", "--job", "app", "--dry-run");
    var skipped = new com.fasterxml.jackson.databind.ObjectMapper().readTree(json.out()).get(0);
    assertThat(skipped.path("job").asText()).isEqualTo("app");
    assertThat(skipped.path("skipped").asBoolean()).isTrue();
    assertThat(skipped.path("reason").asText()).contains("its latest run failed");
    Cli.Result r = cli.run("--config", config.toString(), "forget", "--job", "app");
    assertThat(r.exitCode()).isZero();
    assertThat(r.err()).contains("latest run failed");
    assertThat(names(target).stream().filter(n -> n.endsWith(".tar.gz"))).hasSize(2);
  }

  private static String hostOf(Path archive) throws IOException {
    String m = Files.readString(Path.of(archive + ".manifest.json"));
    int i = m.indexOf("\"host\" : \"") + 10;
    return m.substring(i, m.indexOf('"', i));
  }

  @Test
  void runAppliesRetentionAfterTheBackupAndOffsiteCopy() throws IOException {
    Path target = dir.resolve("t3");
    Path off = dir.resolve("off");
    Path src = Files.createDirectories(dir.resolve("src3"));
    Files.writeString(src.resolve("a"), "a");
    Path config = dir.resolve("c3.yaml");
    Files.writeString(config, """
        jobs:
          app:
            sources: [%s]
            target: %s
            verify: full
            offsite:
              - target: %s
                retention: { keep_last: 2 }
            retention: { keep_last: 1 }
        """.formatted(src, target, off));
    Cli cli = new Cli(dir.resolve("state3"));
    Path real = backupOnce(cli, target, "app");
    String host = hostOf(real);
    clone(real, target, "app", "2020-01-01_0300", host);
    clone(real, target, "app", "2020-01-02_0300", host);
    Cli.Result r = cli.run("--config", config.toString(), "run", "app");
    assertThat(r.exitCode()).as(r.all()).isZero();
    assertThat(r.err()).contains("verified (full)").contains("removed");
    assertThat(names(target).stream().filter(n -> n.endsWith(".tar.gz"))).hasSize(1);
    assertThat(names(off).stream().filter(n -> n.endsWith(".tar.gz"))).hasSize(2);
    assertThat(cli.run("verify", "--from", off.toString(), "--all").exitCode()).isZero();
  }
}
