package dev.holdfast.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.holdfast.testkit.Cli;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code forget --dry-run} prints every backup of the group with keep or remove and the rules that
 * kept it, and removes nothing. The timeline is fixed, so every line is asserted.
 */
class ForgetDryRunCliTest {
  @TempDir Path dir;

  /** A real archive with its sidecars, cloned under {@code day} at 12:00 UTC (the same day in any zone). */
  private static String clone(Path archive, Path target, String day) throws IOException {
    String name = "daily/" + day + "_120000-daily.tar.gz";
    Path dest = target.resolve(name);
    Files.createDirectories(dest.getParent());
    Files.copy(archive, dest);
    Files.copy(Path.of(archive + ".sha256"), Path.of(dest + ".sha256"));
    String manifest = Files.readString(Path.of(archive + ".manifest.json"))
        .replaceFirst("\"started\" : \"[^\"]+\"", "\"started\" : \"" + day + "T12:00:00Z\"")
        .replaceFirst("\"host\" : \"[^\"]+\"", "\"host\" : \"me\"")
        .replaceFirst("\"job\" : \"[^\"]+\"", "\"job\" : \"daily\"");
    Files.writeString(Path.of(dest + ".manifest.json"), manifest);
    return name;
  }

  private static List<String> files(Path target) throws IOException {
    try (Stream<Path> s = Files.walk(target)) {
      return s.filter(Files::isRegularFile).map(p -> target.relativize(p).toString()).sorted().toList();
    }
  }

  @Test
  void everyBackupIsListedWithKeepOrRemoveAndTheRulesThatKeptIt() throws IOException {
    Cli cli = new Cli(dir.resolve("state"));
    Path src = Files.createDirectories(dir.resolve("src"));
    Files.writeString(src.resolve("f.txt"), "data");
    Path seed = dir.resolve("seed");
    assertThat(cli.run("backup", "--to", seed.toString(), src.toString()).exitCode()).isZero();
    Path real;
    try (Stream<Path> s = Files.walk(seed)) {
      real = s.filter(p -> p.toString().endsWith(".tar.gz")).findFirst().orElseThrow();
    }
    Path target = dir.resolve("t");
    for (String day : List.of("2026-08-15", "2026-09-15", "2026-10-01", "2026-10-05", "2026-10-06", "2026-10-07",
        "2026-10-08")) {
      clone(real, target, day);
    }
    List<String> before = files(target);

    Cli.Result r = cli.run("forget", "--from", target.toString(), "--host", "me",
        "--keep-last", "2", "--keep-daily", "3", "--keep-monthly", "3", "--dry-run");
    assertThat(r.exitCode()).as(r.toString()).isZero();
    DateTimeFormatter f = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneId.systemDefault());
    String header = target + ": host me, job daily: keep 2 last, 3 daily, 3 monthly";
    assertThat(r.out().lines().toList()).containsExactly(
        header, // newest first, as restic prints
        line(f, "keep", "2026-10-08", "last, daily, monthly"),
        line(f, "keep", "2026-10-07", "last, daily"),
        line(f, "keep", "2026-10-06", "daily"),
        line(f, "remove", "2026-10-05", "remove"),
        line(f, "remove", "2026-10-01", "remove"),
        line(f, "keep", "2026-09-15", "monthly"),
        line(f, "keep", "2026-08-15", "monthly"),
        "  5 to keep, 2 to remove (dry run: nothing removed)");
    assertThat(files(target)).isEqualTo(before);
  }

  private static String line(DateTimeFormatter f, String verdict, String day, String reasons) {
    return String.format("  %-6s  %s  %-45s  %s", verdict, f.format(Instant.parse(day + "T12:00:00Z")),
        "daily/" + day + "_120000-daily.tar.gz", reasons);
  }
}
