package dev.holdfast.verify;

import static org.assertj.core.api.Assertions.assertThat;

import dev.holdfast.testkit.Cli;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code verify --all --sample} from the CLI: it reads exactly the share {@link Sampling} picks for
 * today (the day sequence itself is SamplingTest's), the same share on every run of the day, the
 * newest always; and a damaged backup outside today's share is not read.
 */
class VerifySampleCliTest {
  @TempDir Path dir;

  /** A history of 12 backups of job "daily": one real one, cloned under earlier dates. */
  private List<String> history(Cli cli, Path target) throws IOException {
    Path src = Files.createDirectories(dir.resolve("src"));
    Files.writeString(src.resolve("f.txt"), "data");
    Cli.Result r = cli.run("backup", "--to", target.toString(), "--job-name", "daily", src.toString());
    assertThat(r.exitCode()).as(r.all()).isZero();
    Path real;
    try (Stream<Path> s = Files.walk(target)) {
      real = s.filter(p -> p.toString().endsWith(".tar.gz")).findFirst().orElseThrow();
    }
    List<String> keys = new ArrayList<>();
    for (int d = 1; d <= 11; d++) {
      String key = String.format("daily/2026-10-%02d_030000-daily.tar.gz", d);
      Path dest = target.resolve(key);
      Files.copy(real, dest);
      Files.copy(Path.of(real + ".sha256"), Path.of(dest + ".sha256"));
      Files.writeString(Path.of(dest + ".manifest.json"), Files.readString(Path.of(real + ".manifest.json"))
          .replaceFirst("\"started\" : \"[^\"]+\"", "\"started\" : \"2026-10-" + String.format("%02d", d) + "T03:00:00Z\""));
      keys.add(key);
    }
    keys.add("daily/" + real.getFileName());
    return keys;
  }

  private static List<String> verified(Cli.Result r) {
    return r.out().lines().filter(l -> l.startsWith("ok       ") || l.startsWith("DAMAGED  "))
        .map(l -> l.substring(9).split(" ")[0]).toList();
  }

  @Test
  void eachRunOfTheDayReadsTodaysShareAndTheNewest() throws IOException {
    Path target = dir.resolve("t");
    Cli cli = new Cli(dir.resolve("state"));
    List<String> keys = history(cli, target);

    LocalDate day = LocalDate.now(ZoneId.systemDefault());
    Cli.Result first = cli.run("verify", "--from", target.toString(), "--all", "--sample", "1/3");
    Cli.Result second = cli.run("verify", "--from", target.toString(), "--all", "--sample", "1/3");
    if (!LocalDate.now(ZoneId.systemDefault()).equals(day)) {
      return; // ran across midnight: the share changed by design
    }
    assertThat(first.exitCode()).as(first.toString()).isZero();
    List<String> expected = Sampling.select(keys, Sampling.parse("1/3"), day, Function.identity());
    assertThat(verified(first)).isEqualTo(expected).contains(keys.get(keys.size() - 1)).hasSizeLessThan(keys.size());
    assertThat(verified(second)).isEqualTo(verified(first));

    // damage outside today's share goes unnoticed today; damage inside it is exit 4
    String outside = keys.stream().filter(k -> !expected.contains(k)).findFirst().orElseThrow();
    Files.delete(target.resolve(outside + ".sha256"));
    Cli.Result unread = cli.run("verify", "--from", target.toString(), "--all", "--sample", "1/3");
    assertThat(unread.exitCode()).as(unread.toString()).isZero();
    Cli.Result all = cli.run("verify", "--from", target.toString(), "--all");
    assertThat(all.exitCode()).as(all.toString()).isEqualTo(4);
    assertThat(verified(all)).isEqualTo(keys);
    String inside = expected.get(0);
    Files.delete(target.resolve(inside + ".sha256"));
    Cli.Result read = cli.run("verify", "--from", target.toString(), "--all", "--sample", "1/3");
    assertThat(read.exitCode()).as(read.toString()).isEqualTo(4);
    assertThat(read.out()).contains("DAMAGED  " + inside);
  }
}
