package dev.holdfast.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.holdfast.testkit.Cli;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code status} from the CLI: a fresh job exits 0; a job whose newest backup is older than its
 * max_age (the default 25h, or its own) exits 5 naming it; ad hoc {@code status --from T --max-age}.
 * Old backups are real archives whose manifest says they were taken long ago.
 */
class StatusCliTest {
  private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd_HHmmss").withZone(ZoneOffset.UTC);
  @TempDir Path dir;
  private Cli cli;
  private Path config;

  private Path backupOnce(Path target, String job) throws IOException {
    Path src = Files.createDirectories(dir.resolve("src"));
    Files.writeString(src.resolve("f.txt"), "data");
    Cli.Result r = cli.run("backup", "--to", target.toString(), "--job-name", job, src.toString());
    assertThat(r.exitCode()).as(r.all()).isZero();
    try (Stream<Path> s = Files.walk(target)) {
      return s.filter(p -> p.toString().endsWith(".tar.gz")).sorted().reduce((a, b) -> b).orElseThrow();
    }
  }

  /** Moves a job's only backup back in time: the same archive, under an older name and manifest time. */
  private static void age(Path archive, Duration by) throws IOException {
    String manifest = Files.readString(Path.of(archive + ".manifest.json"));
    int i = manifest.indexOf("\"started\" : \"") + 13;
    Instant started = Instant.parse(manifest.substring(i, manifest.indexOf('"', i))).minus(by).truncatedTo(ChronoUnit.SECONDS);
    String job = archive.getParent().getFileName().toString();
    Path dest = archive.resolveSibling(STAMP.format(started) + "-" + job + ".tar.gz");
    Files.move(archive, dest);
    Files.move(Path.of(archive + ".sha256"), Path.of(dest + ".sha256"));
    Files.delete(Path.of(archive + ".manifest.json"));
    Files.writeString(Path.of(dest + ".manifest.json"), manifest.replaceFirst("\"started\" : \"[^\"]+\"",
        "\"started\" : \"" + started + "\""));
  }

  @BeforeEach
  void jobs() throws IOException {
    cli = new Cli(dir.resolve("state"));
    config = dir.resolve("c.yaml");
    Files.writeString(config, """
        jobs:
          fresh:
            sources: [%1$s/src]
            target: %1$s/t-fresh
          old:
            sources: [%1$s/src]
            target: %1$s/t-old
          broken:
            sources: [%1$s/src, %1$s/gone]
            target: %1$s/t-broken
          hourly:
            sources: [%1$s/src]
            target: %1$s/t-hourly
            max_age: 1h
        """.formatted(dir));
    backupOnce(dir.resolve("t-fresh"), "fresh");
    age(backupOnce(dir.resolve("t-old"), "old"), Duration.ofHours(26));
    age(backupOnce(dir.resolve("t-hourly"), "hourly"), Duration.ofHours(2));
    backupOnce(dir.resolve("t-broken"), "broken");
  }

  private Cli.Result status(String... args) {
    String[] all = new String[args.length + 3];
    all[0] = "--config";
    all[1] = config.toString();
    all[2] = "status";
    System.arraycopy(args, 0, all, 3, args.length);
    return cli.run(all);
  }

  @Test
  void aFreshJobExits0() {
    Cli.Result r = status("--job", "fresh");
    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.out()).containsPattern("(?m)^ok\\s+fresh\\s+0m\\s+.*fresh/\\S+-fresh\\.tar\\.gz$");
  }

  @Test
  void jobsNamedAsArgumentsAreTheOnlyOnesShown() {
    Cli.Result one = status("fresh");
    assertThat(one.exitCode()).as(one.toString()).isZero();
    assertThat(one.out()).containsPattern("(?m)^ok\\s+fresh\\s").doesNotContain(" old ");
    Cli.Result two = status("fresh", "old");
    assertThat(two.exitCode()).as(two.toString()).isEqualTo(5);
    assertThat(two.out()).containsPattern("(?m)^ok\\s+fresh\\s").containsPattern("(?m)^stale\\s+old\\s")
        .doesNotContain("hourly");
    assertThat(status("nosuchjob").exitCode()).isEqualTo(2);
  }

  @Test
  void aJobOlderThanTheDefault25hExits5NamingIt() {
    Cli.Result r = status("--job", "old");
    assertThat(r.exitCode()).as(r.toString()).isEqualTo(5);
    assertThat(r.out()).containsPattern("(?m)^stale\\s+old\\s+26h!\\s");
    assertThat(r.err()).contains("error: 1 job has no backup newer than max_age; first: old (newest is 26h old, max 25h)");
  }

  @Test
  void theJobsOwnMaxAgeCountsAndTheOptionOverridesIt() {
    Cli.Result r = status("--job", "hourly");
    assertThat(r.exitCode()).as(r.toString()).isEqualTo(5);
    assertThat(r.out()).containsPattern("(?m)^stale\\s+hourly\\s+2h!\\s");
    Cli.Result relaxed = status("--job", "hourly", "--max-age", "3h");
    assertThat(relaxed.exitCode()).as(relaxed.toString()).isZero();
  }

  @Test
  void aFreshBackupWhoseLastRunFailedIsFailingButNotStale() {
    Cli.Result failed = cli.run("--config", config.toString(), "backup", "broken");
    assertThat(failed.exitCode()).as(failed.toString()).isNotZero();
    Cli.Result r = status("--job", "broken");
    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.out()).containsPattern("(?m)^failing\\s+broken\\s+0m\\s+.*FAILURE\\s+broken/");
  }

  @Test
  void everyJobAtOnceExits5WhenAnyIsStale() {
    Cli.Result r = status();
    assertThat(r.exitCode()).as(r.toString()).isEqualTo(5);
    assertThat(r.out()).containsPattern("(?m)^ok\\s+fresh\\s").containsPattern("(?m)^stale\\s+old\\s")
        .containsPattern("(?m)^stale\\s+hourly\\s").containsPattern("(?m)^ok\\s+broken\\s");
    assertThat(r.err()).contains("2 jobs have no backup newer than max_age");
  }

  @Test
  void aJobThatCannotBeCheckedIsAnErrorRowAndTheOthersAreStillShown() throws IOException {
    Path repo = dir.resolve("t-repo");
    Cli.Result init = cli.env("HOLDFAST_PASSWORD", "right").run("init", "--to", repo.toString(), "--format", "repository");
    assertThat(init.exitCode()).as(init.toString()).isZero();
    Path wrong = Files.writeString(dir.resolve("wrong-password"), "wrong\n");
    Files.writeString(config, Files.readString(config) + """
          repo:
            format: repository
            password_file: %s
            sources: [%s/src]
            target: %s
        """.formatted(wrong, dir, repo));
    Cli.Result r = status();
    assertThat(r.exitCode()).as("the wrong password's exit code: " + r).isEqualTo(12);
    assertThat(r.out()).containsPattern("(?m)^ok\\s+fresh\\s").containsPattern("(?m)^stale\\s+old\\s")
        .containsPattern("(?m)^error\\s+repo\\s+\\?\\s+.*\\(cannot tell: wrong password");
    assertThat(r.err()).contains("error: 1 job could not be checked; first: repo: wrong password");
    // alone, the job's own error as before
    assertThat(status("--job", "repo").err()).startsWith("error: wrong password");
  }

  @Test
  void adHocStatusFromATargetWithMaxAge() {
    Cli.Result fresh = cli.run("status", "--from", dir.resolve("t-fresh").toString(), "--max-age", "25h");
    assertThat(fresh.exitCode()).as(fresh.toString()).isZero();
    assertThat(fresh.out()).containsPattern("(?m)^ok\\s+fresh\\s");
    Cli.Result old = cli.run("status", "--from", dir.resolve("t-old").toString(), "--max-age", "25h");
    assertThat(old.exitCode()).as(old.toString()).isEqualTo(5);
    assertThat(old.out()).containsPattern("(?m)^stale\\s+old\\s+26h!");
    Cli.Result lenient = cli.run("status", "--from", dir.resolve("t-old").toString(), "--max-age", "2d");
    assertThat(lenient.exitCode()).as(lenient.toString()).isZero();
    Cli.Result empty = cli.run("status", "--from", dir.resolve("t-none").toString(), "--max-age", "25h");
    assertThat(empty.exitCode()).as("no such target: " + empty).isEqualTo(10);
  }

  @Test
  void anExistingTargetWithoutBackupsIsMissingAndExits5() throws IOException {
    Path none = Files.createDirectories(dir.resolve("t-empty"));
    Cli.Result r = cli.run("status", "--from", none.toString(), "--max-age", "25h");
    assertThat(r.exitCode()).as(r.toString()).isEqualTo(5);
    assertThat(r.out()).containsPattern("(?m)^missing\s+-\s+never\s");
  }
}
