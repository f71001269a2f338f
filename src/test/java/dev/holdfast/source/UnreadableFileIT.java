package dev.holdfast.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.holdfast.testkit.Cli;
import dev.holdfast.testkit.Processes;
import dev.holdfast.testkit.Trees;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A file the backup cannot read: exit 3 (partial), the file and "permission denied" on stderr, the
 * rest stored, and the run recorded as PARTIAL. Root reads mode-000 files anyway, so as root the
 * backup runs in a child JVM under {@code setpriv} without CAP_DAC_OVERRIDE/CAP_DAC_READ_SEARCH.
 */
class UnreadableFileIT {
  private static final List<String> WITHOUT_DAC_BYPASS = List.of(
      "setpriv", "--inh-caps=-dac_override,-dac_read_search", "--bounding-set=-dac_override,-dac_read_search");

  @TempDir Path tmp;

  @Test
  void unreadableFileMakesAPartialBackup() throws Exception {
    List<String> prefix = List.of();
    if (Processes.isRoot()) {
      assumeTrue(Processes.onPath("setpriv"), "setpriv (util-linux) is needed to drop root's DAC bypass");
      prefix = WITHOUT_DAC_BYPASS;
    }
    Random random = new Random(8);
    Path src = tmp.resolve("src");
    Trees.randomFile(src.resolve("readable-1.bin"), random, 20_000);
    Path secret = Trees.randomFile(src.resolve("secret.bin"), random, 20_000);
    Trees.randomFile(src.resolve("sub/readable-2.bin"), random, 20_000);
    Files.setAttribute(secret, "unix:mode", 0);
    Path target = tmp.resolve("target");
    Cli cli = new Cli(tmp.resolve("state"));

    Process backup = Processes.startHoldfast(cli, tmp.resolve("child"), prefix, "backup", "--to", target.toString(), src.toString());
    assertThat(backup.waitFor(2, TimeUnit.MINUTES)).as("backup finished").isTrue();
    String err = Files.readString(tmp.resolve("child/stderr.txt"));

    assertThat(backup.exitValue()).as(err).isEqualTo(3);
    assertThat(err).contains(secret + ": permission denied");
    Path archive;
    try (var s = Files.list(target.resolve("backup"))) {
      archive = s.filter(p -> p.toString().endsWith(".tar.gz")).findFirst().orElseThrow();
    }
    List<String> stored = Processes.check(tmp, "tar", "-tzf", archive.toString()).out().lines().toList();
    String base = src.toString().substring(1);
    assertThat(stored).contains(base + "/readable-1.bin", base + "/sub/readable-2.bin")
        .doesNotContain(base + "/secret.bin");

    Cli.Result history = cli.run("history", "--json");
    JsonNode run = new ObjectMapper().readTree(history.out()).get(0);
    assertThat(run.get("status").asText()).isEqualTo("PARTIAL");
    assertThat(run.get("exit_code").asInt()).isEqualTo(3);
    assertThat(run.get("warnings").asInt()).isEqualTo(1);
  }
}
